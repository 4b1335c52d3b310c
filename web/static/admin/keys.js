// Keys: create (the token is shown once), revoke, last use; and the audit log with its filters.
import { api, query } from "./api.js";
import { actionButton, clear, el, fillTable, notice, when } from "./dom.js";

let keys = [];

export async function loadKeys() {
  keys = (await api("GET", "/keys")).keys;
  fillTable(
    document.getElementById("key-table"),
    ["Mã", "Tên", "Gợi ý", "Vai trò", "Tạo lúc", "Dùng lần cuối", "Trạng thái", ""],
    keys.map((key) => [
      "#" + key.id,
      key.name,
      el("code", { text: key.hint }),
      key.admin ? "Quản trị" : "Người dùng",
      when(key.created_at),
      key.last_used_at ? when(key.last_used_at) : "Chưa dùng",
      key.revoked_at ? "Đã thu hồi " + when(key.revoked_at) : "Đang dùng",
      key.revoked_at ? null : actionButton("Thu hồi", "Thu hồi khóa " + key.name, () => revokeKey(key)),
    ]),
  );
  fillKeyFilter();
}

function fillKeyFilter() {
  const select = document.querySelector("#audit-filter select[name=key_id]");
  const chosen = select.value;
  clear(select).append(el("option", { value: "", text: "Tất cả" }));
  for (const key of keys) select.append(el("option", { value: String(key.id), text: `#${key.id} ${key.name}` }));
  select.value = chosen;
}

async function revokeKey(key) {
  if (!window.confirm(`Thu hồi khóa #${key.id} (${key.name})? Ứng dụng dùng khóa này sẽ không truy cập được nữa.`)) return;
  try {
    await api("DELETE", "/keys/" + key.id);
    notice(`Đã thu hồi khóa #${key.id}.`, "ok");
  } catch (e) {
    notice(e.message, "error");
  }
  await loadKeys();
}

async function createKey(event) {
  event.preventDefault();
  const form = event.target;
  try {
    const key = await api("POST", "/keys", { name: form.elements.name.value, admin: form.elements.admin.checked });
    document.getElementById("new-key-token").textContent = key.token;
    document.getElementById("new-key").hidden = false;
    form.reset();
    notice(`Đã tạo khóa #${key.id}.`, "ok");
  } catch (e) {
    notice(e.message, "error");
  }
  await loadKeys();
}

export async function loadAudit() {
  if (!keys.length) await loadKeys();
  const params = Object.fromEntries(new FormData(document.getElementById("audit-filter")).entries());
  const entries = (await api("GET", "/audit" + query(params))).entries;
  const names = new Map(keys.map((k) => [k.id, k.name]));
  fillTable(
    document.getElementById("audit-table"),
    ["Thời điểm", "Khóa", "Hành động", "Chi tiết"],
    entries.map((entry) => [
      when(entry.at),
      entry.key_id === null ? "–" : `#${entry.key_id} ${names.get(entry.key_id) || ""}`,
      el("code", { text: entry.action }),
      entry.detail,
    ]),
  );
}

export function initKeys() {
  document.getElementById("key-form").addEventListener("submit", createKey);
  document.getElementById("new-key-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(document.getElementById("new-key-token").textContent);
      notice("Đã sao chép khóa.", "ok");
    } catch (_) {
      notice("Không sao chép được; hãy chọn và sao chép khóa bằng tay.", "error");
    }
  });
  document.getElementById("audit-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAudit().catch((e) => notice(e.message, "error"));
  });
}
