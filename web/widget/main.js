// Opening, closing, the keyboard, and mounting on the page.

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
    .call(panel.querySelectorAll("button, textarea, select, [href], [tabindex]:not([tabindex='-1'])"))
    .filter(function (node) {
      return !node.disabled && node.getAttribute("tabindex") !== "-1" && node.getClientRects().length > 0;
    });
}

tracker.chatTab.addEventListener("click", function () {
  showView("chat", false);
});
tracker.trackerTab.addEventListener("click", function () {
  showView("tracker", false);
});
tracker.tabs.addEventListener("keydown", onTabKey);
tracker.province.addEventListener("change", renderAgreements);
tracker.pillar.addEventListener("change", renderAgreements);

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
  showView(state.view, false);
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
