// The chat: messages, copy and feedback, and asking over SSE.

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
