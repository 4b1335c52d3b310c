// HTTP: the key header, Vietnamese error messages, and the SSE reader.

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
