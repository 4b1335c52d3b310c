// The launcher, the panel and its parts, in a shadow root.

// ---- rendering ----

var host = el("div", { "data-troly-widget": "" });
var shadow = host.attachShadow({ mode: "open" });
var root = el("div", { className: "root", lang: "vi" });

var ICONS = {
  chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h10V9H7zm0-3v2h10V6H7zm0 6v2h7v-2H7z",
  up: "M1 21h4V9H1v12zm22-11a2 2 0 0 0-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59A1.98 1.98 0 0 0 7 9v10a2 2 0 0 0 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
  down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2a2 2 0 0 0 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5a2 2 0 0 0-2-2zm4 0v12h4V3h-4z",
  copy: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z",
};

// Inline SVG icons: emoji fonts are missing on many office machines.
function icon(name) {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  var path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.appendChild(path);
  return svg;
}

var panelId = uid("panel");
var titleId = uid("title");
var launcher = el("button", {
  type: "button",
  className: "launcher",
  "aria-haspopup": "dialog",
  "aria-expanded": "false",
  "aria-controls": panelId,
  "aria-label": TEXT.open + config.title,
}, [icon("chat"), el("span", { text: config.title })]);

var resetButton = el("button", { type: "button", className: "reset", text: TEXT.reset });
var closeButton = el("button", { type: "button", className: "close", "aria-label": TEXT.close, text: "×" });
var log = el("div", {
  className: "log",
  role: "log",
  "aria-live": "polite",
  "aria-relevant": "additions text",
  "aria-label": "Nội dung trò chuyện",
  tabindex: "0",
});
var status = el("div", { className: "status", role: "status", "aria-live": "polite" });
var inputId = uid("input");
var hintId = uid("hint");
var input = el("textarea", {
  id: inputId,
  rows: "2",
  placeholder: TEXT.placeholder,
  maxlength: "2000",
  "aria-describedby": hintId,
});
var sendButton = el("button", { type: "submit", className: "send", text: TEXT.send });
var form = el("form", { className: "composer", novalidate: "" }, [
  el("label", { className: "sr-only", for: inputId, text: TEXT.inputLabel }),
  el("span", { id: hintId, className: "sr-only", text: TEXT.inputHint }),
  input,
  sendButton,
]);
var tracker = buildTracker();
var panel = el("section", {
  id: panelId,
  className: "panel",
  role: "dialog",
  "aria-modal": "true",
  "aria-labelledby": titleId,
  hidden: "",
}, [
  el("div", { className: "head" }, [el("h2", { id: titleId, text: config.title }), resetButton, closeButton]),
  tracker.tabs,
  log,
  tracker.view,
  status,
  form,
  el("p", { className: "note", text: TEXT.disclaimer }),
]);
root.appendChild(launcher);
root.appendChild(panel);
adoptStyles();
shadow.appendChild(root);

// A constructed stylesheet is not an inline <style>, so a host page whose Content-Security-Policy forbids
// inline styles still shows the widget styled; older browsers get the <style> element.
function adoptStyles() {
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch (err) {
    shadow.insertBefore(el("style", { text: CSS }), shadow.firstChild);
  }
}

function announce(message) {
  status.textContent = "";
  // A fresh text node after clearing makes screen readers announce a repeated message again.
  window.setTimeout(function () {
    status.textContent = message;
  }, 30);
}
