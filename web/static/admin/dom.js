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

export function cell(label, ...children) {
  return el("td", { "data-label": label }, ...children);
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
