// vtable.js - <VTable>: a table of any length that draws only the rows in view (fixed row
// height), so 10,000 workloads cost what 40 do. columns: [{key, title, width, cell(row)}].
import { useState } from "preact/hooks";
import { html } from "../html.js";

const ROW = 28;
const HEIGHT = 560;
const SPARE = 10;

export function VTable({ rows, columns, onPick, picked, rowKey }) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW) - SPARE);
  const last = Math.min(rows.length, Math.ceil((top + HEIGHT) / ROW) + SPARE);
  const shown = rows.slice(first, last);
  const grid = columns.map((c) => c.width || "1fr").join(" ");
  return html`<div class="vtable" role="table">
    <div class="vhead" role="row" style=${{ gridTemplateColumns: grid }}>
      ${columns.map((c) => html`<div role="columnheader">${c.title}</div>`)}
    </div>
    <div class="vbody" style=${{ height: HEIGHT + "px" }} onScroll=${(e) => setTop(e.currentTarget.scrollTop)}>
      <div style=${{ height: rows.length * ROW + "px", position: "relative" }}>
        ${shown.map((r, i) => {
          const k = rowKey(r);
          return html`<div key=${k} role="row" data-key=${k}
            class=${"vrow" + (picked === k ? " picked" : "")}
            style=${{ top: (first + i) * ROW + "px", height: ROW + "px", gridTemplateColumns: grid }}
            onClick=${() => onPick && onPick(r)}>
            ${columns.map((c) => html`<div role="cell" class=${c.cls || ""}>${c.cell(r)}</div>`)}
          </div>`;
        })}
      </div>
    </div>
  </div>`;
}
