// consumption.js - GPU consumption per project, department or workload over a window, from
// GET /api/v1/reports/consumption (a chart of GPU-hours, the report's table, CSV export).
// An allotd without that endpoint (404) is said to have none.
import { useState } from "preact/hooks";
import { ApiError, get } from "../api.js";
import { html } from "../html.js";
import { Chart } from "../parts/chart.js";

const day = (d) => d.toISOString().slice(0, 10);

// The report's items: whatever fields it has, the group's name first.
const nameOf = (it) => it.workload || it.project || it.department || it.name || it.key || "";
function hoursOf(it) {
  if (typeof it.gpu_hours === "number") return it.gpu_hours;
  if (typeof it.gpu_seconds === "number") return it.gpu_seconds / 3600;
  if (typeof it.gpu_milli_s === "number") return it.gpu_milli_s / 3.6e6;
  return 0;
}

function columnsOf(items) {
  const cols = [];
  for (const it of items) for (const k of Object.keys(it)) if (!cols.includes(k) && typeof it[k] !== "object") cols.push(k);
  return cols;
}

export function toCsv(items) {
  const cols = columnsOf(items);
  const cell = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return [cols.join(","), ...items.map((it) => cols.map((c) => cell(it[c])).join(","))].join("\n") + "\n";
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Consumption() {
  const today = new Date();
  const [form, setForm] = useState({
    from: day(new Date(today.getTime() - 30 * 86400e3)),
    to: day(new Date(today.getTime() + 86400e3)),
    group_by: "project",
  });
  const [result, setResult] = useState(null);
  const run = async (e) => {
    if (e) e.preventDefault();
    // the form's days as the API's times: UTC midnight, RFC 3339
    const at = (d) => encodeURIComponent(`${d}T00:00:00Z`);
    const q = `from=${at(form.from)}&to=${at(form.to)}&group_by=${form.group_by}`;
    try {
      const data = await get(`/api/v1/reports/consumption?${q}`);
      setResult({ items: data.items || data.groups || [], raw: data });
    } catch (err) {
      const absent = err instanceof ApiError && err.status === 404 && err.code !== "invalid_argument";
      setResult({ error: absent ? "Consumption reports are not available on this allotd." : err.message, absent });
    }
  };
  if (result === null) run();
  const items = (result && result.items) || [];
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  return html`<section class="consumption">
    <form class="filters" onSubmit=${run}>
      <label>from <input type="date" value=${form.from} onInput=${set("from")} /></label>
      <label>to <input type="date" value=${form.to} onInput=${set("to")} /></label>
      <label>by <select value=${form.group_by} onChange=${set("group_by")}>
        <option value="project">project</option><option value="department">department</option><option value="workload">workload</option>
      </select></label>
      <button type="submit">Report</button>
      <button type="button" disabled=${!items.length} onClick=${() => download(`consumption-${form.from}-${form.to}-${form.group_by}.csv`, toCsv(items))}>Export CSV</button>
    </form>
    ${result && result.error && html`<p class=${result.absent ? "muted notice" : "error"} data-testid="consumption-absent">${result.error}</p>`}
    ${items.length > 0 && html`
      <${Chart} data=${[items.map((_, i) => i), items.map(hoursOf)]} opts=${{
        scales: { x: { time: false } },
        axes: [{ values: (u, ticks) => ticks.map((i) => (Number.isInteger(i) && items[i] ? nameOf(items[i]) : "")) }, { label: "GPU-hours" }],
        series: [{}, { label: "GPU-hours", stroke: "#2f6fdf", fill: "rgba(47,111,223,0.3)", paths: (u, s, i0, i1) => barPaths(u, s, i0, i1) }],
      }} />
      <table class="grid"><thead><tr>${columnsOf(items).map((c) => html`<th>${c}</th>`)}</tr></thead>
        <tbody>${items.map((it) => html`<tr>${columnsOf(items).map((c) => html`<td>${typeof it[c] === "number" ? +it[c].toFixed(3) : it[c]}</td>`)}</tr>`)}</tbody></table>`}
    ${result && !result.error && items.length === 0 && html`<p class="muted">Nothing was allocated in this window.</p>`}
  </section>`;
}

// Bars for uPlot (its bars path builder lives in its own build; these few lines do).
function barPaths(u, s, i0, i1) {
  const fill = new Path2D();
  const w = Math.max(4, (u.bbox.width / Math.max(1, u.data[0].length)) * 0.6);
  for (let i = i0; i <= i1; i++) {
    const x = u.valToPos(u.data[0][i], "x", true);
    const y = u.valToPos(u.data[s][i], "y", true);
    const y0 = u.valToPos(0, "y", true);
    fill.rect(x - w / 2, y, w, y0 - y);
  }
  return { stroke: fill, fill };
}
