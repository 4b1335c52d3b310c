// Calls to /admin/api: the session cookie goes by itself; unsafe methods carry the session's CSRF token.
// Errors become ApiError with the server's Vietnamese message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const session = { csrf: "", onExpired: () => {} };

export function setSession(csrf, onExpired) {
  session.csrf = csrf;
  if (onExpired) session.onExpired = onExpired;
}

export async function errorOf(response) {
  let code = "http_" + response.status;
  let message = "Máy chủ trả lỗi " + response.status + ".";
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch (_) {
    // not JSON: keep the generic message
  }
  return new ApiError(response.status, code, message);
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = session.csrf;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch("/admin/api" + path, init);
  } catch (_) {
    throw new ApiError(0, "network", "Không kết nối được máy chủ.");
  }
  if (response.status === 204) return null;
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.code === "session_expired") session.onExpired(error);
    throw error;
  }
  return response.json();
}

// An upload with the browser's own progress events (fetch has none for request bodies).
export function uploadFiles(files, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/admin/api/documents");
    xhr.setRequestHeader("X-CSRF-Token", session.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "Không kết nối được máy chủ."));
    xhr.onload = async () => {
      const response = new Response(xhr.responseText, { status: xhr.status });
      if (xhr.status === 202) {
        resolve(JSON.parse(xhr.responseText));
        return;
      }
      const error = await errorOf(response);
      if (error.code === "session_expired") session.onExpired(error);
      reject(error);
    };
    xhr.send(form);
  });
}

export function query(params) {
  const parts = [];
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) {
      parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    }
  }
  return parts.length ? "?" + parts.join("&") : "";
}
