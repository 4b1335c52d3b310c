// Configuration from the <script> tag, the Vietnamese texts, and small DOM helpers.

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
// Here, not in tracker.js: the panel is built (with the tracker's filters) before tracker.js's vars are set.
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
