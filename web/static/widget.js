/*
 * troly chat widget: one <script> tag adds a floating button and a chat panel to any page.
 *
 *   <script src="https://HOST/widget.js" data-api-key="KEY" data-title="Trợ lý số"></script>
 *
 * Optional attributes: data-api-base (API origin, default: this script's origin), data-greeting.
 * Vanilla JS, no dependencies. Everything lives in a shadow root so host CSS and widget CSS stay apart.
 * Model output and document text are only ever inserted as text nodes (textContent), never parsed as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  // A tag pasted twice (or in <head>, before the first copy has mounted) must not make two widgets.
  if (!script || window.__trolyWidgetLoaded || document.querySelector("[data-troly-widget]")) {
    return;
  }
  window.__trolyWidgetLoaded = true;

  var config = {
    apiKey: script.getAttribute("data-api-key") || "",
    title: script.getAttribute("data-title") || "Trợ lý số",
    greeting:
      script.getAttribute("data-greeting") ||
      "Xin chào! Tôi có thể giúp tra cứu văn bản, thủ tục và tin tức của địa phương. Bạn cần hỏi gì?",
    apiBase: (script.getAttribute("data-api-base") || new URL(script.src, location.href).origin).replace(/\/+$/, ""),
  };
  var STORAGE_KEY = "troly-widget:v1:" + config.apiBase;
  var PHONE_QUERY = "(max-width: 480px)";

  var TEXT = {
    open: "Mở khung trò chuyện ",
    close: "Đóng trợ lý",
    reset: "Cuộc trò chuyện mới",
    inputLabel: "Câu hỏi của bạn",
    placeholder: "Nhập câu hỏi…",
    inputHint: "Nhấn Enter để gửi, Shift+Enter để xuống dòng.",
    send: "Gửi",
    you: "Bạn",
    bot: "Trợ lý",
    thinking: "Đang tìm trong tài liệu…",
    refused: "Không đủ căn cứ để trả lời",
    unsupported: "Một số chi tiết không có trong tài liệu nguồn đã được lược bỏ khỏi câu trả lời.",
    sources: "Nguồn trích dẫn",
    related: "Nguồn liên quan",
    citeLabel: "Xem nguồn số ",
    source: "Tệp: ",
    unit: "Vị trí: ",
    date: "Ngày: ",
    noDate: "không rõ ngày",
    copy: "Sao chép",
    copied: "Đã sao chép câu trả lời",
    copyFailed: "Không sao chép được, hãy chọn và sao chép thủ công.",
    up: "Câu trả lời hữu ích",
    down: "Câu trả lời chưa tốt",
    commentLabel: "Góp ý thêm (không bắt buộc)",
    commentSend: "Gửi góp ý",
    commentSkip: "Bỏ qua",
    thanks: "Cảm ơn bạn đã góp ý!",
    feedbackFailed: "Chưa gửi được góp ý: ",
    disclaimer: "Câu trả lời do máy tạo từ tài liệu của địa phương; hãy kiểm tra nguồn trước khi sử dụng.",
    network: "Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại.",
    interrupted: "Kết nối bị gián đoạn trước khi trả lời xong. Vui lòng hỏi lại.",
    unauthorized: "Khóa truy cập của trang không hợp lệ hoặc đã hết hạn. Vui lòng báo quản trị viên trang.",
    forbidden: "Trang này chưa được phép dùng trợ lý. Vui lòng báo quản trị viên trang.",
    tooMany: "Bạn đã hỏi quá nhiều trong thời gian ngắn.",
    busy: "Hệ thống đang bận.",
    retryIn: " Vui lòng thử lại sau {s} giây.",
    retryLater: " Vui lòng thử lại sau ít phút.",
    badRequest: "Câu hỏi không hợp lệ.",
    server: "Máy chủ gặp lỗi. Vui lòng thử lại sau.",
    empty: "Vui lòng nhập câu hỏi.",
  };

  var CSS = [
    ":host{all:initial !important;display:block !important;position:fixed !important;right:0 !important;",
    "bottom:0 !important;width:0 !important;height:0 !important;z-index:2147483000 !important;",
    "visibility:visible !important;opacity:1 !important;overflow:visible !important;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    ".root{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Helvetica Neue',Arial,sans-serif;",
    "color:#1b1f24;}",
    "[hidden]{display:none !important;}",
    "button,textarea{font:inherit;color:inherit;}",
    "button{cursor:pointer;}",
    ":focus{outline:none;}",
    ":focus-visible{outline:3px solid #f5a623;outline-offset:2px;}",
    ".sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);",
    "white-space:nowrap;border:0;}",
    ".launcher{position:fixed;right:20px;bottom:20px;display:flex;align-items:center;gap:8px;",
    "padding:12px 18px;border:0;border-radius:28px;background:#b3261e;color:#fff;font-weight:600;",
    "box-shadow:0 4px 16px rgba(0,0,0,.25);}",
    ".launcher:hover{background:#8f1e18;}",
    ".launcher svg{width:22px;height:22px;fill:currentColor;}",
    ".panel{position:fixed;right:20px;bottom:20px;width:400px;max-width:calc(100vw - 40px);height:620px;",
    "max-height:calc(100vh - 40px);display:flex;flex-direction:column;background:#fff;border-radius:14px;",
    "box-shadow:0 8px 32px rgba(0,0,0,.3);overflow:hidden;}",
    ".head{display:flex;align-items:center;gap:6px;padding:10px 12px;background:#b3261e;color:#fff;}",
    ".head h2{flex:1;margin:0;font-size:17px;font-weight:700;color:#fff;}",
    ".head button{border:0;background:transparent;color:#fff;border-radius:6px;padding:6px 8px;font-size:13px;}",
    ".head button:hover{background:rgba(255,255,255,.18);}",
    ".head .close{font-size:22px;line-height:1;padding:4px 10px;}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9;display:flex;flex-direction:column;gap:10px;}",
    ".msg{max-width:92%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;}",
    ".msg.user{align-self:flex-end;background:#b3261e;color:#fff;border-bottom-right-radius:4px;}",
    ".msg.bot{align-self:flex-start;background:#fff;color:#1b1f24;border:1px solid #dde1e6;",
    "border-bottom-left-radius:4px;}",
    ".msg.bot.refused{background:#fff8e1;border-color:#e0b000;border-left:4px solid #e0b000;}",
    ".msg.error{align-self:stretch;max-width:none;background:#fdecea;color:#7a1712;border:1px solid #f1aeb5;}",
    ".badge{display:inline-block;margin-bottom:4px;padding:1px 8px;border-radius:10px;background:#e0b000;",
    "color:#3b2f00;font-size:12px;font-weight:700;white-space:normal;}",
    ".text{white-space:pre-wrap;}",
    ".text .items{margin:4px 0 0;padding-left:20px;white-space:normal;}",
    ".text .items li{margin:3px 0;}",
    ".text .lead{margin:0;}",
    ".thinking{color:#5b6470;font-style:italic;}",
    ".cite{display:inline;margin:0 1px;padding:0 4px;border:1px solid #b3261e;border-radius:4px;",
    "background:#fff;color:#b3261e;font-size:12px;font-weight:700;vertical-align:super;line-height:1.2;}",
    ".cite[aria-expanded='true']{background:#b3261e;color:#fff;}",
    ".detail{margin:8px 0 0;padding:8px 10px;border-left:3px solid #b3261e;background:#f6f7f9;",
    "border-radius:4px;white-space:normal;}",
    ".detail .dtitle{margin:0;font-weight:700;}",
    ".detail .meta{margin:2px 0 6px;color:#5b6470;font-size:13px;}",
    ".detail blockquote{margin:0;padding:0;font-style:italic;white-space:pre-wrap;}",
    ".evidence{margin:8px 0 0;padding:8px 10px;border-left:3px solid #1d4f91;background:#f6f7f9;",
    "border-radius:4px;white-space:normal;}",
    ".evidence .dtitle{margin:0;font-weight:700;}.evidence .meta{margin:2px 0 6px;color:#5b6470;font-size:13px;}",
    ".evidence blockquote{margin:0;padding:0;font-style:italic;white-space:pre-wrap;}",
    ".sources{margin:8px 0 0;padding:0;list-style:none;white-space:normal;font-size:13px;}",
    ".sources li{margin:2px 0;}",
    ".sources button{border:0;background:none;padding:0;color:#1d4f91;text-decoration:underline;",
    "text-align:left;}",
    ".warn{margin:6px 0 0;color:#7a4f00;font-size:13px;white-space:normal;}",
    ".actions{display:flex;gap:4px;margin-top:6px;white-space:normal;}",
    ".actions button{display:inline-flex;align-items:center;gap:4px;border:1px solid #dde1e6;background:#fff;",
    "border-radius:6px;padding:3px 8px;font-size:13px;color:#3c4652;}",
    ".actions svg{width:16px;height:16px;fill:currentColor;}",
    ".actions button:hover{background:#f0f2f5;}",
    ".actions button[aria-pressed='true']{background:#e8f0fe;border-color:#1d4f91;color:#1d4f91;}",
    ".comment{margin-top:6px;white-space:normal;}",
    ".comment label{display:block;margin-bottom:2px;font-size:13px;}",
    ".comment textarea{width:100%;min-height:48px;padding:6px;border:1px solid #c4c9d0;border-radius:6px;}",
    ".comment button{margin:4px 4px 0 0;border:1px solid #c4c9d0;background:#fff;border-radius:6px;",
    "padding:2px 10px;font-size:13px;}",
    ".status{min-height:0;padding:0 12px;color:#5b6470;font-size:13px;}",
    ".composer{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #dde1e6;background:#fff;}",
    ".composer textarea{flex:1;resize:none;min-height:44px;max-height:120px;padding:8px 10px;",
    "border:1px solid #c4c9d0;border-radius:8px;background:#fff;color:#1b1f24;}",
    ".composer button{border:0;border-radius:8px;padding:0 16px;background:#b3261e;color:#fff;font-weight:600;}",
    ".composer button:disabled{background:#c4c9d0;cursor:not-allowed;}",
    ".note{margin:0;padding:0 12px 8px;color:#5b6470;font-size:11px;background:#fff;}",
    "@media " + PHONE_QUERY + "{.panel{inset:0;right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;",
    "height:100dvh;max-height:none;border-radius:0;}.launcher{right:12px;bottom:12px;}",
    // 16px keeps mobile browsers from zooming the page when the question box takes focus.
    ".composer textarea{font-size:16px;}}",
    "@media (prefers-reduced-motion:no-preference){.panel{animation:troly-in .15s ease-out;}}",
    "@keyframes troly-in{from{opacity:0;transform:translateY(8px);}to{opacity:1;transform:none;}}",
  ].join("");

  // ---- small DOM helpers: text is always set through textContent ----

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        if (name === "text") {
          node.textContent = attrs[name];
        } else if (name === "className") {
          node.className = attrs[name];
        } else if (attrs[name] !== null && attrs[name] !== undefined) {
          node.setAttribute(name, String(attrs[name]));
        }
      });
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var idCounter = 0;
  function uid(prefix) {
    idCounter += 1;
    return "troly-" + prefix + "-" + idCounter;
  }

  function formatDate(value) {
    var m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(value || "");
    if (!m) {
      return value || "";
    }
    return m[3] ? m[3] + "/" + m[2] + "/" + m[1] : m[2] + "/" + m[1];
  }

  // Citations come from the network (and from storage): keep only well-formed ones, every field a string.
  function cleanCitations(list) {
    if (!Array.isArray(list)) {
      return [];
    }
    return list
      .filter(function (c) {
        return c && typeof c === "object" && Number.isInteger(c.n) && c.n > 0;
      })
      .map(function (c) {
        return {
          n: c.n,
          source: String(c.source || ""),
          chunk_id: String(c.chunk_id || ""),
          quote: String(c.quote || ""),
          title: String(c.title || ""),
          date: c.date ? String(c.date) : null,
          unit: c.unit ? String(c.unit) : null,
        };
      });
  }

  // ---- state, kept in sessionStorage so a reload keeps the conversation ----

  var state = { open: false, conversationId: null, messages: [] };

  function loadState() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) {
        state.open = !!saved.open;
        state.conversationId = saved.conversationId || null;
        state.messages = saved.messages
          .filter(function (m) {
            return m && typeof m.text === "string" && (m.role === "user" || m.role === "bot" || m.role === "error");
          })
          .map(function (m) {
            m.citations = cleanCitations(m.citations);
            m.evidence = cleanPassage(m.evidence);
            return m;
          });
      }
    } catch (err) {
      // Storage may be disabled or hold garbage: start fresh rather than fail.
    }
  }

  // Enough for any real conversation, small enough for sessionStorage's few megabytes.
  var MAX_STORED_MESSAGES = 80;

  function saveState() {
    if (state.messages.length > MAX_STORED_MESSAGES) {
      state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    }
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (err) {
      // Quota or privacy mode: the conversation simply will not survive a reload.
    }
  }

  // ---- HTTP ----

  function authHeaders(extra) {
    var headers = { "Content-Type": "application/json" };
    if (config.apiKey) {
      headers.Authorization = "Bearer " + config.apiKey;
    }
    Object.keys(extra || {}).forEach(function (k) {
      headers[k] = extra[k];
    });
    return headers;
  }

  function retryText(response) {
    var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return isFinite(seconds) && seconds > 0 ? TEXT.retryIn.replace("{s}", String(seconds)) : TEXT.retryLater;
  }

  // Vietnamese message for an HTTP error; the server's own message is used only for the cases it explains best.
  function httpErrorMessage(response, body) {
    var serverMessage = body && body.error && typeof body.error.message === "string" ? body.error.message : "";
    switch (response.status) {
      case 401:
        return TEXT.unauthorized;
      case 403:
        return TEXT.forbidden;
      case 429:
        return TEXT.tooMany + retryText(response);
      case 503:
        return TEXT.busy + retryText(response);
      case 400:
      case 413:
      case 422:
        return serverMessage || TEXT.badRequest;
      default:
        return TEXT.server;
    }
  }

  function readErrorBody(response) {
    return response.json().catch(function () {
      return null;
    });
  }

  // Parses a text/event-stream body; calls onEvent(name, data) for each event. Resolves when the stream ends.
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder("utf-8");
    var buffer = "";

    function dispatch(block) {
      var name = "message";
      var data = [];
      block.split(/\r\n|\r|\n/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") {
          return;
        }
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") {
          name = value;
        } else if (field === "data") {
          data.push(value);
        }
      });
      if (!data.length) {
        return;
      }
      var payload;
      try {
        payload = JSON.parse(data.join("\n"));
      } catch (err) {
        return;
      }
      if (payload && typeof payload === "object") {
        onEvent(name, payload);
      }
    }

    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          if (buffer.trim()) {
            dispatch(buffer);
          }
          return;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        var parts = buffer.split(/\r\n\r\n|\n\n|\r\r/);
        buffer = parts.pop();
        parts.forEach(dispatch);
        return pump();
      });
    }
    return pump();
  }

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
  var panel = el("section", {
    id: panelId,
    className: "panel",
    role: "dialog",
    "aria-modal": "true",
    "aria-labelledby": titleId,
    hidden: "",
  }, [
    el("div", { className: "head" }, [el("h2", { id: titleId, text: config.title }), resetButton, closeButton]),
    log,
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

  // A list answer is a lead line and items on lines of their own starting with "- ": items become a <ul>.
  function renderAnswerText(container, text, citations, onCite) {
    container.textContent = "";
    var lines = text.split("\n");
    if (lines.length < 2) {
      renderInline(container, text, citations, onCite);
      return;
    }
    var list = null;
    lines.forEach(function (line) {
      if (line.indexOf("- ") === 0) {
        if (!list) {
          list = el("ul", { className: "items" });
          container.appendChild(list);
        }
        var item = el("li");
        renderInline(item, line.slice(2), citations, onCite);
        list.appendChild(item);
      } else if (line.trim()) {
        list = null;
        var para = el("p", { className: "lead" });
        renderInline(para, line, citations, onCite);
        container.appendChild(para);
      }
    });
  }

  // Splits text on [n] / [n, m] markers; markers that name a known citation become buttons.
  function renderInline(container, text, citations, onCite) {
    var known = {};
    (citations || []).forEach(function (c) {
      known[c.n] = c;
    });
    var pattern = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var numbers = match[1].split(/\s*[,;]\s*/).map(Number);
      var allKnown = numbers.every(function (n) {
        return known[n];
      });
      if (!allKnown) {
        continue;
      }
      container.appendChild(document.createTextNode(text.slice(last, match.index)));
      numbers.forEach(function (n) {
        container.appendChild(onCite(known[n]));
      });
      last = match.index + match[0].length;
    }
    container.appendChild(document.createTextNode(text.slice(last)));
  }

  function buildCitationDetail(citation) {
    var meta = TEXT.date + (citation.date ? formatDate(citation.date) : TEXT.noDate);
    if (citation.source) {
      meta += " · " + TEXT.source + citation.source;
    }
    if (citation.unit) {
      meta += " · " + TEXT.unit + citation.unit;
    }
    return el("div", { className: "detail", role: "region", "aria-label": TEXT.sources + " [" + citation.n + "]" }, [
      el("p", { className: "dtitle", text: "[" + citation.n + "] " + (citation.title || citation.source || "") }),
      el("p", { className: "meta", text: meta }),
      el("blockquote", { text: citation.quote || "" }),
    ]);
  }

  // ---- the evidence card: the best passage, shown before the answer, kept or replaced by its citations ----

  function cleanPassage(p) {
    if (!p || typeof p !== "object" || typeof p.quote !== "string") {
      return null;
    }
    return {
      source: String(p.source || ""),
      quote: p.quote,
      title: String(p.title || ""),
      date: p.date ? String(p.date) : null,
      unit: p.unit ? String(p.unit) : null,
    };
  }

  // While the answer is written: the passage. Once cited: the citation quoting it (the card is kept, with its
  // number), else the first citation (the card is replaced); a refusal or an uncited answer shows none.
  function cardPassage(message) {
    var passage = message.evidence;
    if (!passage || message.pending) {
      return passage ? { n: null, passage: passage } : null;
    }
    var citations = message.refused ? [] : message.citations || [];
    var same = citations.filter(function (c) {
      return c.source === passage.source && (c.quote.indexOf(passage.quote) >= 0 || passage.quote.indexOf(c.quote) >= 0);
    })[0];
    var shown = same || citations[0];
    return shown ? { n: shown.n, passage: same ? passage : shown, kept: !!same } : null;
  }

  function buildEvidenceCard(message) {
    var card = cardPassage(message);
    if (!card) {
      return null;
    }
    var p = card.passage;
    var meta = TEXT.date + (p.date ? formatDate(p.date) : TEXT.noDate) + (p.unit ? " · " + TEXT.unit + p.unit : "");
    var heading = TEXT.related + (card.n ? " [" + card.n + "]" : "");
    return el("section", { className: "evidence", "aria-label": TEXT.related, "data-kept": String(!!card.kept) }, [
      el("p", { className: "dtitle", text: heading + ": " + (p.title || p.source) }),
      el("p", { className: "meta", text: meta }),
      el("blockquote", { text: p.quote }),
    ]);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = el("textarea", { "aria-hidden": "true" });
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      shadow.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      shadow.removeChild(area);
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy"));
      }
    });
  }

  // What "copy" puts on the clipboard: the answer, then its sources, ready to paste into a document.
  function plainAnswer(message) {
    var lines = [message.text];
    var citations = message.citations || [];
    if (citations.length) {
      lines.push("", TEXT.sources + ":");
      citations.forEach(function (c) {
        lines.push("[" + c.n + "] " + (c.title || c.source) + (c.date ? " (" + formatDate(c.date) + ")" : ""));
      });
    }
    return lines.join("\n");
  }

  function sendFeedback(message, rating, comment) {
    var body = { answer_id: message.answerId, rating: rating };
    if (comment) {
      body.comment = comment;
    }
    return fetch(config.apiBase + "/v1/feedback", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) {
        return readErrorBody(response).then(function (errBody) {
          throw new Error(httpErrorMessage(response, errBody));
        });
      }
    });
  }

  function buildActions(message, bubble) {
    var copyButton = el("button", { type: "button", className: "copy" }, [icon("copy"), TEXT.copy]);
    var upButton = el("button", { type: "button", className: "up", "aria-label": TEXT.up, title: TEXT.up,
      "aria-pressed": String(message.feedback === "up") }, [icon("up")]);
    var downButton = el("button", { type: "button", className: "down", "aria-label": TEXT.down, title: TEXT.down,
      "aria-pressed": String(message.feedback === "down") }, [icon("down")]);
    var actions = el("div", { className: "actions" }, [copyButton, upButton, downButton]);

    copyButton.addEventListener("click", function () {
      copyText(plainAnswer(message)).then(
        function () {
          announce(TEXT.copied);
        },
        function () {
          announce(TEXT.copyFailed);
        }
      );
    });

    function rate(rating, comment) {
      return sendFeedback(message, rating, comment).then(
        function () {
          message.feedback = rating;
          saveState();
          upButton.setAttribute("aria-pressed", String(rating === "up"));
          downButton.setAttribute("aria-pressed", String(rating === "down"));
          announce(TEXT.thanks);
        },
        function (err) {
          announce(TEXT.feedbackFailed + (err && err.message && err.name !== "TypeError" ? err.message : TEXT.network));
        }
      );
    }

    upButton.addEventListener("click", function () {
      rate("up");
    });
    downButton.addEventListener("click", function () {
      var existing = bubble.querySelector(".comment");
      if (existing) {
        existing.querySelector("textarea").focus();
        return;
      }
      var commentId = uid("comment");
      var area = el("textarea", { id: commentId, maxlength: "1000" });
      var submit = el("button", { type: "button", text: TEXT.commentSend });
      var skip = el("button", { type: "button", text: TEXT.commentSkip });
      var box = el("div", { className: "comment" }, [
        el("label", { for: commentId, text: TEXT.commentLabel }),
        area,
        submit,
        skip,
      ]);
      function finish(comment) {
        rate("down", comment).then(function () {
          box.remove();
          downButton.focus();
        });
      }
      submit.addEventListener("click", function () {
        finish(area.value.trim());
      });
      skip.addEventListener("click", function () {
        finish("");
      });
      bubble.appendChild(box);
      area.focus();
    });
    return actions;
  }

  // Renders a bot message; returns an update() that re-renders it from `message` in place.
  function renderBotMessage(message) {
    var bubble = el("article", { className: "msg bot", "aria-label": TEXT.bot });
    function update() {
      bubble.textContent = "";
      bubble.classList.toggle("refused", !!message.refused);
      bubble.setAttribute("aria-busy", message.pending ? "true" : "false");
      if (message.refused) {
        bubble.appendChild(el("span", { className: "badge", text: TEXT.refused }));
        bubble.appendChild(document.createElement("br"));
      }
      var textNode = el("div", { className: "text" });
      bubble.appendChild(textNode);
      var card = buildEvidenceCard(message);
      if (card) {
        bubble.appendChild(card);
      }
      if (message.pending && !message.text) {
        textNode.appendChild(el("span", { className: "thinking", text: TEXT.thinking }));
        return;
      }
      var citations = message.citations || [];
      var details = {};
      var detailSlot = el("div", { className: "details" });

      function toggle(citation, trigger) {
        var open = details[citation.n];
        Object.keys(details).forEach(function (n) {
          details[n].node.remove();
          details[n].triggers.forEach(function (t) {
            t.setAttribute("aria-expanded", "false");
          });
        });
        details = {};
        if (open) {
          trigger.focus();
          return;
        }
        var node = buildCitationDetail(citation);
        node.id = uid("detail");
        detailSlot.appendChild(node);
        var triggers = Array.prototype.slice.call(bubble.querySelectorAll("[data-cite='" + citation.n + "']"));
        triggers.forEach(function (t) {
          t.setAttribute("aria-expanded", "true");
          t.setAttribute("aria-controls", node.id);
        });
        details[citation.n] = { node: node, triggers: triggers };
        if (node.scrollIntoView) {
          node.scrollIntoView({ block: "nearest" });
        }
      }

      function citeButton(citation) {
        var button = el("button", {
          type: "button",
          className: "cite",
          "data-cite": citation.n,
          "aria-expanded": "false",
          "aria-label": TEXT.citeLabel + citation.n + ": " + (citation.title || citation.source || ""),
          text: "[" + citation.n + "]",
        });
        button.addEventListener("click", function () {
          toggle(citation, button);
        });
        return button;
      }

      renderAnswerText(textNode, message.text || "", message.pending ? [] : citations, citeButton);
      if (message.pending) {
        return;
      }
      bubble.appendChild(detailSlot);
      if (citations.length) {
        var list = el("ul", { className: "sources", "aria-label": TEXT.sources });
        citations.forEach(function (c) {
          var label = "[" + c.n + "] " + (c.title || c.source || "") + (c.date ? " (" + formatDate(c.date) + ")" : "");
          var button = el("button", { type: "button", "data-cite": c.n, "aria-expanded": "false", text: label });
          button.addEventListener("click", function () {
            toggle(c, button);
          });
          list.appendChild(el("li", null, [button]));
        });
        bubble.appendChild(list);
      }
      if (message.unsupported && message.unsupported.length) {
        // The dropped claims themselves are never shown: they are what the sources do not support.
        bubble.appendChild(el("p", { className: "warn", text: TEXT.unsupported }));
      }
      if (message.answerId) {
        bubble.appendChild(buildActions(message, bubble));
      }
    }
    update();
    return { node: bubble, update: update };
  }

  function renderMessage(message) {
    if (message.role === "user") {
      return {
        node: el("div", { className: "msg user", "aria-label": TEXT.you }, [el("span", { text: message.text })]),
        update: function () {},
      };
    }
    if (message.role === "error") {
      return { node: el("div", { className: "msg error", role: "alert", text: message.text }), update: function () {} };
    }
    return renderBotMessage(message);
  }

  function appendMessage(message) {
    var view = renderMessage(message);
    log.appendChild(view.node);
    log.scrollTop = log.scrollHeight;
    return view;
  }

  function renderAll() {
    log.textContent = "";
    log.appendChild(el("div", { className: "msg bot greeting", text: config.greeting }));
    state.messages.forEach(appendMessage);
  }

  // ---- asking ----

  var inFlight = null;

  function setBusy(busy) {
    sendButton.disabled = busy;
    log.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function ask(question) {
    var controller = new AbortController();
    inFlight = controller;
    setBusy(true);
    state.messages.push({ role: "user", text: question });
    appendMessage(state.messages[state.messages.length - 1]);
    var message = { role: "bot", text: "", citations: [], refused: false, pending: true };
    var view = appendMessage(message);
    var done = false;
    var connected = false;

    function fail(text) {
      var index = state.messages.indexOf(message);
      if (index >= 0) {
        state.messages.splice(index, 1);
      }
      view.node.remove();
      var error = { role: "error", text: text };
      state.messages.push(error);
      appendMessage(error);
      saveState();
    }

    function onEvent(name, data) {
      if (done) {
        return;
      }
      if (name === "token" && typeof data.text === "string") {
        message.text += data.text;
        view.update();
        log.scrollTop = log.scrollHeight;
      } else if (name === "evidence") {
        message.evidence = cleanPassage(data.passage);
        view.update();
      } else if (name === "citations" && Array.isArray(data.citations)) {
        message.citations = cleanCitations(data.citations);
      } else if (name === "done") {
        done = true;
        message.pending = false;
        message.text = typeof data.answer === "string" ? data.answer : message.text;
        message.refused = !!data.refused;
        message.citations = Array.isArray(data.citations) ? cleanCitations(data.citations) : message.citations;
        message.unsupported = Array.isArray(data.unsupported) ? data.unsupported.map(String) : [];
        message.answerId = data.answer_id ? String(data.answer_id) : null;
        if (data.conversation_id) {
          state.conversationId = String(data.conversation_id);
        }
        delete message.pending;
        state.messages.push(message);
        saveState();
        view.update();
        log.scrollTop = log.scrollHeight;
      } else if (name === "error") {
        done = true;
        fail(typeof data.message === "string" && data.message ? data.message : TEXT.server);
      }
    }

    function send() {
      var body = { question: question };
      var continuing = !!state.conversationId;
      if (continuing) {
        body.conversation_id = state.conversationId;
      }
      connected = false;
      return fetch(config.apiBase + "/v1/ask/stream", {
        method: "POST",
        headers: authHeaders({ Accept: "text/event-stream" }),
        body: JSON.stringify(body),
        signal: controller.signal,
      }).then(function (response) {
        connected = true;
        if (!response.ok) {
          return readErrorBody(response).then(function (errBody) {
            var code = errBody && errBody.error ? errBody.error.code : "";
            // The server forgot the conversation (its database was reset): ask again as a new one.
            if (response.status === 404 && continuing && code === "conversation_not_found") {
              state.conversationId = null;
              return send();
            }
            done = true;
            fail(httpErrorMessage(response, errBody));
          });
        }
        if (!response.body) {
          throw new Error("no body");
        }
        return readEvents(response, onEvent).then(function () {
          if (!done) {
            done = true;
            fail(TEXT.interrupted);
          }
        });
      });
    }

    saveState();
    send()
      .catch(function () {
        // Reaching the server failed, or the stream broke after it answered: two different messages.
        if (controller.signal.aborted || done) {
          return;
        }
        done = true;
        fail(connected ? TEXT.interrupted : TEXT.network);
      })
      .then(function () {
        if (inFlight === controller) {
          inFlight = null;
          setBusy(false);
        }
      });
  }

  // ---- opening, closing, keyboard ----

  function setOpen(open, focus) {
    state.open = open;
    saveState();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    // The open panel covers the launcher's corner (the whole screen on a phone); its header has the close button.
    launcher.hidden = open;
    if (open) {
      log.scrollTop = log.scrollHeight;
      if (focus) {
        input.focus();
      }
    } else if (focus) {
      launcher.focus();
    }
  }

  function focusables() {
    return Array.prototype.slice
      .call(panel.querySelectorAll("button, textarea, [href], [tabindex]:not([tabindex='-1'])"))
      .filter(function (node) {
        return !node.disabled && node.getClientRects().length > 0;
      });
  }

  launcher.addEventListener("click", function () {
    setOpen(panel.hidden, true);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false, true);
  });
  resetButton.addEventListener("click", function () {
    if (inFlight) {
      inFlight.abort();
      inFlight = null;
      setBusy(false);
    }
    state.messages = [];
    state.conversationId = null;
    saveState();
    renderAll();
    input.focus();
  });

  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      setOpen(false, true);
      return;
    }
    if (event.key !== "Tab") {
      return;
    }
    var items = focusables();
    if (!items.length) {
      return;
    }
    var first = items[0];
    var last = items[items.length - 1];
    var active = shadow.activeElement;
    if (event.shiftKey && (active === first || !panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question) {
      announce(TEXT.empty);
      return;
    }
    if (inFlight) {
      return;
    }
    input.value = "";
    ask(question);
  });

  function mount() {
    loadState();
    renderAll();
    document.body.appendChild(host);
    if (state.open) {
      setOpen(true, false);
    }
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
