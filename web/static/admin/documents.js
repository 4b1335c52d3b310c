// Documents: upload with a progress bar and the result per file (from the ingest job), the list, search, delete.
import { api, uploadFiles } from "./api.js";
import { actionButton, bytes, clear, day, el, fillTable, fold, notice } from "./dom.js";

const STATUS = {
  queued: "Đang chờ nạp",
  loading: "Đang đọc tệp",
  embedding: "Đang tạo vector",
  writing: "Đang ghi chỉ mục",
  added: "Đã thêm",
  updated: "Đã cập nhật",
  skipped: "Không đổi, bỏ qua",
  failed: "Lỗi",
  cancelled: "Đã hủy",
};
const FINAL = new Set(["added", "updated", "skipped", "failed", "cancelled"]);
const POLL_MS = 600;

let documents = [];
export const documentList = () => documents;

export async function loadDocuments() {
  const data = await api("GET", "/documents");
  documents = data.documents;
  const generation = data.generation === null ? "chưa có" : String(data.generation);
  document.getElementById("doc-generation").textContent =
    `Thế hệ chỉ mục: ${generation} · ${documents.length} tài liệu`;
  renderDocuments();
  return documents;
}

function renderDocuments() {
  const needle = fold(document.getElementById("doc-search").value.trim());
  const rows = documents.filter(
    (d) => !needle || fold([d.title, d.id, ...d.subjects].join(" ")).includes(needle),
  );
  fillTable(
    document.getElementById("doc-table"),
    ["Tiêu đề", "Ngày", "Nguồn", "Kích thước", "Số đoạn", "Chủ thể", ""],
    rows.map((doc) => [
      el("span", { class: "title", text: doc.title }),
      day(doc.date),
      el("code", { text: doc.id }),
      bytes(doc.size),
      String(doc.chunks),
      doc.subjects.length ? doc.subjects.join("; ") : "–",
      actionButton("Xóa", "Xóa tài liệu " + doc.title, () => deleteDocument(doc)),
    ]),
  );
  document.getElementById("doc-empty").hidden = rows.length > 0;
}

async function deleteDocument(doc) {
  if (!window.confirm(`Xóa tài liệu “${doc.title}” (${doc.id}) khỏi chỉ mục?`)) return;
  try {
    await api("DELETE", "/documents/" + doc.id.split("/").map(encodeURIComponent).join("/"));
    notice(`Đã xóa ${doc.id}.`, "ok");
  } catch (error) {
    notice(error.message, "error");
  }
  await loadDocuments();
}

function fileRow(name) {
  const progress = el("progress", { max: "1", value: "0", "aria-label": "Tiến độ " + name });
  const status = el("span", { class: "status", text: "Đang gửi…" });
  const row = el("li", { class: "upload" }, el("span", { class: "name", text: name }), progress, status);
  return { row, progress, status };
}

function showFile(view, file) {
  const total = file.chunks_total || 0;
  if (FINAL.has(file.status)) view.progress.value = 1;
  else if (total) view.progress.value = Math.min(1, file.chunks_done / total);
  let text = STATUS[file.status] || file.status;
  if (file.status === "embedding" && total) text += ` (${file.chunks_done}/${total} đoạn)`;
  if (file.status === "failed" && file.reason) text += ": " + file.reason;
  else if (file.reason && FINAL.has(file.status)) text += " (" + file.reason + ")";
  view.status.textContent = text;
  view.row.dataset.status = file.status;
}

async function follow(job, views) {
  for (;;) {
    for (const file of job.files) {
      const view = views.get(file.filename);
      if (view) showFile(view, file);
    }
    if (!["queued", "running"].includes(job.state)) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await api("GET", "/jobs/" + encodeURIComponent(job.id));
  }
  if (job.state === "failed" && job.error) notice(job.error, "error");
  return job;
}

async function upload(event) {
  event.preventDefault();
  const input = document.getElementById("upload-files");
  const files = Array.from(input.files);
  if (!files.length) {
    notice("Hãy chọn ít nhất một tệp.", "error");
    return;
  }
  const list = clear(document.getElementById("upload-list"));
  const views = new Map();
  for (const file of files) {
    const view = fileRow(file.name);
    views.set(file.name, view);
    list.append(view.row);
  }
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const job = await uploadFiles(files, (share) => {
      for (const view of views.values()) {
        view.status.textContent = `Đang gửi… ${Math.round(share * 100)}%`;
      }
    });
    input.value = "";
    await follow(job, views);
    await loadDocuments();
  } catch (error) {
    for (const view of views.values()) {
      view.status.textContent = "Không tải lên được: " + error.message;
      view.row.dataset.status = "refused";
    }
    notice(error.message, "error");
  } finally {
    button.disabled = false;
  }
}

export function initDocuments() {
  document.getElementById("upload-form").addEventListener("submit", upload);
  document.getElementById("doc-search").addEventListener("input", renderDocuments);
}
