// Health: model, embedder, index, queues, and small bar plots of the last days (drawn as SVG, no library).
import { api } from "./api.js";
import { bytes, clear, day, el } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

function fact(label, value) {
  return [el("dt", { text: label }), el("dd", { text: value })];
}

function card(title, facts) {
  return el("section", { class: "card fact" }, el("h3", { text: title }), el("dl", {}, ...facts.flat()));
}

// One bar per day and series; `series` = [{name, key, cls}]. Each bar has a <title> with its value.
function plot(title, rows, series, unit) {
  const width = 320;
  const height = 120;
  const pad = 18;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r[s.key] || 0)));
  const slot = (width - pad) / rows.length;
  const bar = Math.max(2, (slot - 2) / series.length);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + pad}`, role: "img", class: "plot" });
  const summary = rows
    .map((r) => `${day(r.day)}: ${series.map((s) => `${s.name} ${r[s.key] ?? "–"}`).join(", ")}`)
    .join("; ");
  const label = svg("title", {});
  label.textContent = `${title}. ${summary}`;
  chart.append(label);
  chart.append(svg("line", { x1: pad, y1: height, x2: width, y2: height, class: "axis" }));
  const top = svg("text", { x: 0, y: 10, class: "tick" });
  top.textContent = String(Math.round(max));
  chart.append(top);
  rows.forEach((row, i) => {
    series.forEach((s, j) => {
      const value = row[s.key] || 0;
      const h = (value / max) * (height - 12);
      const rect = svg("rect", { x: pad + i * slot + j * bar, y: height - h, width: bar - 1, height: h, class: s.cls });
      const tip = svg("title", {});
      tip.textContent = `${day(row.day)} · ${s.name}: ${row[s.key] ?? "–"}${unit}`;
      rect.append(tip);
      chart.append(rect);
    });
  });
  const first = svg("text", { x: pad, y: height + 14, class: "tick" });
  first.textContent = day(rows[0].day);
  const last = svg("text", { x: width, y: height + 14, class: "tick end" });
  last.textContent = day(rows[rows.length - 1].day);
  chart.append(first, last);
  const legend = el("p", { class: "legend" }, ...series.map((s) => el("span", { class: "key " + s.cls, text: s.name })));
  return el("figure", { class: "card" }, el("figcaption", { text: title }), chart, legend);
}

export async function loadHealth() {
  const h = await api("GET", "/health");
  const yes = (v) => (v ? "sẵn sàng" : "chưa sẵn sàng");
  clear(document.getElementById("health-cards")).append(
    card("Mô hình ngôn ngữ", [fact("Loại", h.model.backend), fact("Mô hình", h.model.name), fact("Trạng thái", yes(h.model.ready))]),
    card("Bộ tạo vector", [fact("Loại", h.embedder.backend), fact("Mô hình", h.embedder.name)]),
    card("Chỉ mục", [
      fact("Tài liệu", String(h.index.documents)),
      fact("Đoạn", String(h.index.chunks)),
      fact("Thế hệ", h.index.generation === null ? "chưa có" : String(h.index.generation)),
      fact("Dung lượng", bytes(h.index.bytes)),
      fact("Trạng thái", yes(h.index.ready)),
    ]),
    card("Hàng đợi", [
      fact("Câu hỏi đang chờ mô hình", String(h.queue.answers_waiting)),
      fact("Việc nạp đang chờ", String(h.queue.jobs_queued)),
      fact("Việc nạp đang chạy", String(h.queue.jobs_running)),
    ]),
  );
  const latency = h.answers_per_day.map((r) => ({ ...r, p50_s: r.p50_ms === null ? null : Math.round(r.p50_ms / 100) / 10 }));
  clear(document.getElementById("health-plots")).append(
    plot("Số câu trả lời mỗi ngày", h.answers_per_day, [{ name: "câu trả lời", key: "answers", cls: "s1" }], ""),
    plot("Thời gian trả lời (trung vị, giây)", latency, [{ name: "p50", key: "p50_s", cls: "s2" }], " s"),
    plot("Phản hồi mỗi ngày", h.feedback_per_day, [
      { name: "hài lòng", key: "up", cls: "up" },
      { name: "không hài lòng", key: "down", cls: "down" },
    ], ""),
  );
}
