/*
 * troly chat widget: one <script> tag adds a floating button and a chat panel to any page.
 *
 *   <script src="https://HOST/widget.js" data-api-key="KEY" data-title="Trợ lý số"></script>
 *
 * Optional attributes: data-api-base (API origin, default: this script's origin), data-greeting.
 * Vanilla JS, no dependencies. Everything lives in a shadow root so host CSS and widget CSS stay apart.
 * Model output and document text are only ever inserted as text nodes (textContent), never parsed as HTML.
 */
/* Built from web/widget/*.js by scripts/build_widget.py: edit those, then run it. */
(function () {
"use strict";
var script = document.currentScript || document.querySelector("script[src*='widget.js']");
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
var PILLARS = ["hạ tầng số", "chính quyền số", "kinh tế số", "xã hội số"];
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
views: "Chế độ xem",
tabChat: "Trò chuyện",
tabTracker: "Cam kết",
filterProvince: "Tỉnh, thành",
filterPillar: "Trụ cột",
allProvinces: "Tất cả",
allPillars: "Tất cả",
loadingTracker: "Đang tải các cam kết…",
noAgreements: "Tài liệu hiện có chưa ghi nhận thỏa thuận nào có cam kết.",
noMatch: "Không có cam kết nào khớp bộ lọc.",
noPillar: "Chung",
signed: "Ký ",
period: "giai đoạn ",
deadline: "Hạn: ",
progress: "Tiến độ: ",
retry: "Thử lại",
};
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
".tabs{display:flex;gap:2px;padding:0 8px;background:#8f1e18;}",
".tab{flex:1;border:0;border-bottom:3px solid transparent;background:transparent;color:#fde8e6;padding:7px 6px;",
"font-weight:600;}",
".tab[aria-selected='true']{color:#fff;border-bottom-color:#fff;}",
".tracker{flex:1;overflow-y:auto;padding:10px 12px;background:#f6f7f9;}",
".filters{display:flex;flex-wrap:wrap;align-items:center;gap:6px 8px;margin-bottom:8px;font-size:13px;}",
".filters select{flex:1;min-width:120px;padding:5px 6px;border:1px solid #c4c9d0;border-radius:6px;",
"background:#fff;font:inherit;}",
".agreement{margin:0 0 12px;padding:8px 10px;background:#fff;border:1px solid #dde1e6;border-radius:10px;}",
".agreement h3{margin:0;font-size:15px;}",
".agreement h4{margin:8px 0 2px;font-size:13px;color:#8f1e18;text-transform:uppercase;letter-spacing:.02em;}",
".agreement .meta,.tracker .meta{margin:2px 0;color:#5b6470;font-size:13px;}",
".commitments{margin:0;padding:0;list-style:none;}",
".commitments li{margin:4px 0;}",
".commitment{width:100%;border:1px solid #dde1e6;border-radius:6px;background:#fff;padding:6px 8px;",
"text-align:left;font-size:14px;}",
".commitment[aria-expanded='true']{border-color:#b3261e;}",
".party{display:inline-block;padding:0 6px;border-radius:8px;background:#fde8e6;color:#8f1e18;",
"font-size:12px;font-weight:700;}",
".empty{color:#5b6470;}",
".retry{border:1px solid #c4c9d0;background:#fff;border-radius:6px;padding:3px 10px;}",
".note{margin:0;padding:0 12px 8px;color:#5b6470;font-size:11px;background:#fff;}",
"@media " + PHONE_QUERY + "{.panel{inset:0;right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;",
"height:100dvh;max-height:none;border-radius:0;}.launcher{right:12px;bottom:12px;}",
".composer textarea{font-size:16px;}.filters select{flex-basis:100%;font-size:16px;}}",
"@media (prefers-reduced-motion:no-preference){.panel{animation:troly-in .15s ease-out;}}",
"@keyframes troly-in{from{opacity:0;transform:translateY(8px);}to{opacity:1;transform:none;}}",
].join("");
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
}
}
var MAX_STORED_MESSAGES = 80;
function saveState() {
if (state.messages.length > MAX_STORED_MESSAGES) {
state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
}
try {
sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
} catch (err) {
}
}
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
var host = el("div", { "data-troly-widget": "" });
var shadow = host.attachShadow({ mode: "open" });
var root = el("div", { className: "root", lang: "vi" });
var ICONS = {
chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h10V9H7zm0-3v2h10V6H7zm0 6v2h7v-2H7z",
up: "M1 21h4V9H1v12zm22-11a2 2 0 0 0-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59A1.98 1.98 0 0 0 7 9v10a2 2 0 0 0 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2a2 2 0 0 0 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5a2 2 0 0 0-2-2zm4 0v12h4V3h-4z",
copy: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z",
};
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
window.setTimeout(function () {
status.textContent = message;
}, 30);
}
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
function buildTracker() {
var chatTab = el("button", {
type: "button",
role: "tab",
id: uid("tab"),
className: "tab",
"aria-selected": "true",
text: TEXT.tabChat,
});
var trackerTab = el("button", {
type: "button",
role: "tab",
id: uid("tab"),
className: "tab",
"aria-selected": "false",
tabindex: "-1",
text: TEXT.tabTracker,
});
var province = el("select", { id: uid("province"), className: "province" });
var pillar = el("select", { id: uid("pillar"), className: "pillar" });
pillar.appendChild(el("option", { value: "", text: TEXT.allPillars }));
PILLARS.forEach(function (p) {
pillar.appendChild(el("option", { value: p, text: p }));
});
var list = el("div", { className: "agreements", "aria-live": "polite", "aria-busy": "false" });
var view = el("section", {
className: "tracker",
role: "tabpanel",
id: uid("tracker"),
"aria-labelledby": trackerTab.id,
hidden: "",
}, [
el("div", { className: "filters" }, [
el("label", { for: province.id, text: TEXT.filterProvince }),
province,
el("label", { for: pillar.id, text: TEXT.filterPillar }),
pillar,
]),
list,
]);
trackerTab.setAttribute("aria-controls", view.id);
var tabs = el("div", { className: "tabs", role: "tablist", "aria-label": TEXT.views }, [chatTab, trackerTab]);
return {
tabs: tabs,
view: view,
chatTab: chatTab,
trackerTab: trackerTab,
province: province,
pillar: pillar,
list: list,
agreements: null,
loading: false,
};
}
function showView(name, focus) {
var shown = name === "tracker";
state.view = shown ? "tracker" : "chat";
saveState();
tracker.chatTab.setAttribute("aria-selected", String(!shown));
tracker.trackerTab.setAttribute("aria-selected", String(shown));
tracker.chatTab.setAttribute("tabindex", shown ? "-1" : "0");
tracker.trackerTab.setAttribute("tabindex", shown ? "0" : "-1");
log.hidden = shown;
form.hidden = shown;
tracker.view.hidden = !shown;
if (shown && !tracker.agreements && !tracker.loading) {
loadAgreements();
}
if (focus) {
(shown ? tracker.trackerTab : tracker.chatTab).focus();
}
}
function trackerMessage(text, retry) {
tracker.list.textContent = "";
tracker.list.appendChild(el("p", { className: retry ? "msg error" : "empty", role: retry ? "alert" : null, text: text }));
if (retry) {
var again = el("button", { type: "button", className: "retry", text: TEXT.retry });
again.addEventListener("click", loadAgreements);
tracker.list.appendChild(again);
}
}
function loadAgreements() {
tracker.loading = true;
tracker.list.setAttribute("aria-busy", "true");
trackerMessage(TEXT.loadingTracker);
return fetch(config.apiBase + "/v1/agreements", { headers: authHeaders() })
.then(function (response) {
if (!response.ok) {
return readErrorBody(response).then(function (body) {
throw new Error(httpErrorMessage(response, body));
});
}
return response.json();
})
.then(function (body) {
tracker.agreements = cleanAgreements(body && body.agreements);
fillProvinces();
renderAgreements();
})
.catch(function (err) {
trackerMessage(err && err.message && err.message !== "Failed to fetch" ? err.message : TEXT.network, true);
})
.then(function () {
tracker.loading = false;
tracker.list.setAttribute("aria-busy", "false");
});
}
function cleanAgreements(list) {
if (!Array.isArray(list)) {
return [];
}
return list
.filter(function (a) {
return a && typeof a === "object" && typeof a.id === "string" && Array.isArray(a.commitments);
})
.map(function (a) {
return {
id: a.id,
province: a.province ? String(a.province) : "",
parties: (Array.isArray(a.parties) ? a.parties : []).map(function (p) {
return { name: String((p && p.name) || ""), key: String((p && p.key) || "") };
}),
signed: a.signed ? String(a.signed) : "",
period: a.period && a.period.start ? a.period.start + "–" + a.period.end : "",
sources: (Array.isArray(a.sources) ? a.sources : []).map(String),
commitments: a.commitments
.filter(function (c) {
return c && typeof c.id === "string" && c.citation && typeof c.citation.quote === "string";
})
.map(function (c) {
return {
id: c.id,
party: String(c.party || ""),
text: String(c.text || ""),
pillar: PILLARS.indexOf(c.pillar) >= 0 ? c.pillar : "",
deadline: c.deadline ? String(c.deadline) : "",
quote: c.citation.quote,
source: String(c.citation.source || ""),
status: c.status && typeof c.status.state === "string" ? c.status : null,
};
}),
};
});
}
function provinceName(agreement) {
var side = agreement.parties.filter(function (p) {
return p.key === agreement.province;
})[0];
return side ? side.name : agreement.province;
}
function fillProvinces() {
var chosen = tracker.province.value;
tracker.province.textContent = "";
tracker.province.appendChild(el("option", { value: "", text: TEXT.allProvinces }));
var seen = {};
tracker.agreements.forEach(function (a) {
if (a.province && !seen[a.province]) {
seen[a.province] = true;
tracker.province.appendChild(el("option", { value: a.province, text: provinceName(a) }));
}
});
tracker.province.value = seen[chosen] ? chosen : "";
}
function renderAgreements() {
var province = tracker.province.value;
var pillar = tracker.pillar.value;
tracker.list.textContent = "";
var shown = 0;
(tracker.agreements || []).forEach(function (a) {
if (province && a.province !== province) {
return;
}
var rows = a.commitments.filter(function (c) {
return !pillar || c.pillar === pillar;
});
if (!rows.length) {
return;
}
shown += 1;
tracker.list.appendChild(renderAgreement(a, rows));
});
if (!shown) {
trackerMessage(tracker.agreements && tracker.agreements.length ? TEXT.noMatch : TEXT.noAgreements);
}
}
function renderAgreement(agreement, rows) {
var facts = [];
if (agreement.signed) {
facts.push(TEXT.signed + formatDate(agreement.signed));
}
if (agreement.period) {
facts.push(TEXT.period + agreement.period);
}
var names = agreement.parties.map(function (p) {
return p.name;
});
var node = el("article", { className: "agreement" }, [
el("h3", { text: names.join(" – ") }),
el("p", { className: "meta", text: facts.join(" · ") }),
]);
PILLARS.concat([""]).forEach(function (p) {
var group = rows.filter(function (c) {
return c.pillar === p;
});
if (!group.length) {
return;
}
node.appendChild(el("h4", { text: p || TEXT.noPillar }));
var list = el("ul", { className: "commitments" });
group.forEach(function (c) {
list.appendChild(renderCommitment(c));
});
node.appendChild(list);
});
return node;
}
function renderCommitment(commitment) {
var detailId = uid("quote");
var button = el("button", {
type: "button",
className: "commitment",
"aria-expanded": "false",
"aria-controls": detailId,
}, [el("span", { className: "party", text: commitment.party }), " " + commitment.text]);
var meta = TEXT.source + commitment.source;
if (commitment.deadline) {
meta += " · " + TEXT.deadline + commitment.deadline;
}
if (commitment.status) {
meta += " · " + TEXT.progress + commitment.status.state;
}
var detail = el("div", { className: "detail", id: detailId, hidden: "" }, [
el("blockquote", { text: commitment.quote }),
el("p", { className: "meta", text: meta }),
]);
button.addEventListener("click", function () {
var open = detail.hidden;
detail.hidden = !open;
button.setAttribute("aria-expanded", String(open));
});
return el("li", null, [button, detail]);
}
function onTabKey(event) {
var keys = { ArrowLeft: "chat", ArrowRight: "tracker", Home: "chat", End: "tracker" };
if (keys[event.key]) {
event.preventDefault();
showView(keys[event.key], true);
}
}
function setOpen(open, focus) {
state.open = open;
saveState();
panel.hidden = !open;
launcher.setAttribute("aria-expanded", String(open));
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
})();
