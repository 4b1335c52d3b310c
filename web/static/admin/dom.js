// Building elements: text goes in with textContent only, never as HTML, so no document or question text
// can become markup.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

const ACTIONS = "Thao tác";

// Fills a table: its header once from `columns` (an empty name is the actions column), then one row per
// array of cells; each cell carries its column's name, which the phone layout shows as a label.
export function fillTable(table, columns, rows) {
  if (!table.tHead) {
    const head = table.createTHead().insertRow();
    for (const name of columns) {
      head.append(el("th", { scope: "col" }, name || el("span", { class: "sr-only", text: ACTIONS })));
    }
  }
  const body = table.tBodies[0] || table.createTBody();
  const line = (cells) => el("tr", {}, ...cells.map((c, i) => el("td", { "data-label": columns[i] || ACTIONS }, c)));
  body.replaceChildren(...rows.map(line));
}

export function actionButton(text, label, onclick) {
  return el("button", { type: "button", class: "danger", text, "aria-label": label, onclick });
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// Vietnamese letters folded to ASCII, so a search typed without diacritics finds the accented title.
export function fold(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase();
}

export function bytes(size) {
  if (size === null || size === undefined) return "–";
  if (size < 1024) return size + " B";
  if (size < 1024 * 1024) return (size / 1024).toFixed(1).replace(".", ",") + " KB";
  return (size / 1024 / 1024).toFixed(1).replace(".", ",") + " MB";
}

export function when(iso) {
  if (!iso) return "–";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return moment.toLocaleString("vi-VN", { dateStyle: "short", timeStyle: "short" });
}

export function day(iso) {
  if (!iso) return "–";
  const [y, m, d] = String(iso).split("-");
  return d ? `${d}/${m}/${y}` : m ? `${m}/${y}` : y;
}

let noticeTimer = 0;

export function notice(text, kind) {
  const node = document.getElementById("notice");
  node.textContent = text;
  node.className = "notice " + (kind || "");
  clearTimeout(noticeTimer);
  if (text) noticeTimer = setTimeout(() => (node.textContent = ""), 8000);
}
