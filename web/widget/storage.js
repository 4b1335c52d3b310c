// The conversation kept in sessionStorage, so a reload keeps it.

// ---- state, kept in sessionStorage so a reload keeps the conversation ----

var state = { open: false, view: "chat", conversationId: null, messages: [] };

function loadState() {
  try {
    var saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    if (saved && Array.isArray(saved.messages)) {
      state.open = !!saved.open;
      state.view = saved.view === "tracker" ? "tracker" : "chat";
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
