// Feedback inbox: thumbs-down first; each item shows the question, the answer, its citations with their
// quotes and the official's comment, and a review form whose verdicts the export turns into QA lines.
import { api, query } from "./api.js";
import { clear, el, notice, when } from "./dom.js";
import { documentList } from "./documents.js";

let uid = 0;

function filters() {
  const form = document.getElementById("feedback-filter");
  return Object.fromEntries(new FormData(form).entries());
}

export function fillDocumentFilter() {
  const select = document.querySelector("#feedback-filter select[name=document]");
  const chosen = select.value;
  clear(select).append(el("option", { value: "", text: "Tất cả" }));
  for (const doc of documentList()) {
    select.append(el("option", { value: doc.id, text: doc.title + " (" + doc.id + ")" }));
  }
  select.value = chosen;
}

export async function loadFeedback() {
  fillDocumentFilter();
  const data = await api("GET", "/feedback" + query(filters()));
  const list = clear(document.getElementById("feedback-list"));
  for (const item of data.items) list.append(feedbackCard(item));
  document.getElementById("feedback-empty").hidden = data.items.length > 0;
}

function citation(c) {
  const head = el(
    "div",
    { class: "ctitle" },
    `[${c.n}] `,
    el("span", { text: c.title || c.source }),
    " · ",
    el("code", { text: c.source }),
    c.unit ? " · " + c.unit : "",
  );
  return el("li", {}, head, el("blockquote", { text: c.quote }));
}

function sourceOptions(item) {
  const cited = item.citations.map((c) => c.source);
  const chosen = item.review ? item.review.sources : cited.slice(0, 1);
  const ids = new Set([...documentList().map((d) => d.id), ...cited, ...chosen]);
  const select = el("select", { name: "source" });
  select.append(el("option", { value: "", text: "(không chọn)" }));
  for (const id of ids) {
    const doc = documentList().find((d) => d.id === id);
    select.append(el("option", { value: id, text: doc ? `${doc.title} (${id})` : id }));
  }
  select.value = chosen[0] || "";
  return select;
}

function reviewForm(item) {
  const n = ++uid;
  const review = item.review;
  const answerable = el("input", { type: "radio", name: "answerable", value: "yes", id: `ans-yes-${n}` });
  const unanswerable = el("input", { type: "radio", name: "answerable", value: "no", id: `ans-no-${n}` });
  (review && !review.answerable ? unanswerable : answerable).checked = true;
  const answers = el("textarea", { name: "answers", rows: "2", id: `answers-${n}` });
  answers.value = review ? review.answers.join("\n") : "";
  const note = el("input", { name: "note", id: `note-${n}`, maxlength: "2000" });
  note.value = review && review.note ? review.note : "";
  const error = el("p", { class: "error", role: "alert" });
  const form = el(
    "form",
    { class: "review" },
    el(
      "fieldset",
      {},
      el("legend", { text: "Kết luận của người xem xét" }),
      el("label", { for: `ans-yes-${n}` }, answerable, " Tài liệu có câu trả lời"),
      el("label", { for: `ans-no-${n}` }, unanswerable, " Tài liệu không có câu trả lời (trợ lý nên từ chối)"),
    ),
    el("label", { for: `answers-${n}`, text: "Câu trả lời đúng (mỗi dòng một cách viết chấp nhận được)" }),
    answers,
    el("label", {}, "Nguồn đúng ", sourceOptions(item)),
    el("label", { for: `note-${n}`, text: "Ghi chú" }),
    note,
    el("button", { type: "submit", text: review ? "Lưu lại kết luận" : "Đánh dấu đã xem xét" }),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const yes = answerable.checked;
    const source = form.elements.source.value;
    const body = {
      answerable: yes,
      answers: yes ? answers.value.split("\n").map((a) => a.trim()).filter(Boolean) : [],
      sources: yes && source ? [source] : [],
      note: note.value.trim() || null,
    };
    try {
      const data = await api("POST", `/feedback/${item.id}/review`, body);
      form.closest("article").replaceWith(feedbackCard(data.items[0]));
      notice(`Đã lưu kết luận cho phản hồi #${item.id}.`, "ok");
    } catch (e) {
      error.textContent = e.message;
    }
  });
  return form;
}

function feedbackCard(item) {
  const down = item.rating === "down";
  const badge = el("span", {
    class: "badge " + (down ? "down" : "up"),
    text: down ? "Không hài lòng" : "Hài lòng",
  });
  const state = el("span", {
    class: "badge " + (item.review ? "done" : "open"),
    text: item.review ? "Đã xem xét " + when(item.review.reviewed_at) : "Chưa xem xét",
  });
  return el(
    "article",
    { class: "card feedback", "data-feedback-id": String(item.id) },
    el("header", {}, badge, " ", state, " ", el("span", { class: "muted", text: when(item.created_at) })),
    el("h3", { class: "question", text: item.question }),
    el("p", { class: "answer", text: item.answer }),
    item.refused ? el("p", { class: "muted", text: "(Trợ lý đã từ chối trả lời)" }) : null,
    item.citations.length ? el("ol", { class: "citations" }, ...item.citations.map(citation)) : null,
    item.comment ? el("p", { class: "comment" }, el("strong", { text: "Ý kiến: " }), item.comment) : null,
    reviewForm(item),
  );
}

async function exportQa(event) {
  event.preventDefault();
  const since = event.target.elements.since.value;
  const result = document.getElementById("export-result");
  try {
    const data = await api("POST", "/feedback/export" + query({ since }));
    const blob = new Blob([data.content], { type: "application/jsonl" });
    const link = el("a", { href: URL.createObjectURL(blob), download: data.filename });
    document.body.append(link);
    link.click();
    link.remove();
    result.textContent = `Đã xuất ${data.count} câu hỏi vào ${data.filename}. Chạy: troly eval run --qa ${data.filename} …`;
  } catch (e) {
    result.textContent = e.message;
  }
}

export function initFeedback() {
  document.getElementById("feedback-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    loadFeedback().catch((e) => notice(e.message, "error"));
  });
  document.getElementById("export-form").addEventListener("submit", exportQa);
}
