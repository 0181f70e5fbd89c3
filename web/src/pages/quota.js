// quota.js - departments and their projects as the hierarchy they form: deserved quota, fair
// share from the last cycle, allocated, requested and what is over quota (allocated beyond
// deserved), in GPUs; and, where a queue gives its quota per node pool, those entries
// ("a100: 2 (limit 4)").
import { getAll } from "../api.js";
import { gpus } from "../format.js";
import { html } from "../html.js";
import { useLive } from "../parts/live.js";

async function load() {
  const [departments, projects] = await Promise.all([
    getAll("/api/v1/departments"),
    getAll("/api/v1/projects"),
  ]);
  return { departments, projects };
}

const g = (q, part) => (q.status && q.status[part] ? q.status[part].gpu : null);

const unlimited = (v) => v === null || v === undefined || v < 0;

// Its quota per node pool, one entry a line: "a100: 2 (limit 4)"; on hover the over-quota
// weight and its recent GPU usage in that pool.
function PoolQuotas({ q }) {
  const usage = (q.status && q.status.usage && q.status.usage.pools) || {};
  return Object.entries(q.pools || {}).map(([name, e]) => {
    const deserved = e.deserved ? e.deserved.gpu : 0;
    const limit = e.limit ? e.limit.gpu : null;
    const weight = e.over_quota_weight ? e.over_quota_weight.gpu : null;
    const u = usage[name];
    const title = `pool ${name}: ${gpus(deserved)} GPUs deserved, ${unlimited(limit) ? "no limit" : `limit ${gpus(limit)}`}` +
      (weight !== null ? `, over-quota weight ${gpus(weight)}` : "") +
      (u ? `; recent GPU usage ${Math.round(100 * u.gpu)}% of the pool` : "");
    return html`<div class="poolquota" data-pool=${name} title=${title}>${name}: ${gpus(deserved)}${unlimited(limit) ? "" : ` (limit ${gpus(limit)})`}</div>`;
  });
}

function Row({ q, depth, byPool }) {
  const deserved = q.deserved ? q.deserved.gpu : 0;
  const allocated = g(q, "allocated") || 0;
  const fair = g(q, "fair_share") || 0;
  const over = Math.max(0, allocated - deserved);
  const scale = Math.max(deserved, fair, allocated, 1);
  const wl = (q.status && q.status.workloads) || {};
  // time-based fair share: recent usage, and the fair share by weight alone, on hover
  const u = q.status && q.status.usage;
  const usageTitle = u
    ? `recent GPU usage ${u.share.gpu.toFixed(2)} of the cluster (k ${u.k}); by weight alone ${gpus(u.fair_share_without_usage.gpu)}`
    : null;
  return html`<tr class=${q.kind} data-queue=${q.name}>
    <td style=${{ paddingLeft: 8 + depth * 20 + "px" }}>${q.kind === "department" ? "▾ " : ""}${q.name}</td>
    <td>${gpus(deserved)}</td><td title=${usageTitle}>${gpus(fair)}</td><td>${gpus(allocated)}</td>
    <td>${gpus(g(q, "requested"))}</td>
    <td class=${over > 0 ? "over" : ""}>${gpus(over)}</td>
    <td>${gpus(q.limit ? q.limit.gpu : -1)}</td>
    <td>${wl.running || 0} / ${wl.pending || 0}</td>
    ${byPool && html`<td class="pools"><${PoolQuotas} q=${q} /></td>`}
    <td class="barcell"><div class="bar">
      <span class="alloc" style=${{ width: (100 * Math.min(allocated, deserved)) / scale + "%" }}></span>
      <span class="overq" style=${{ width: (100 * over) / scale + "%" }}></span>
      <i class="mark" title="deserved" style=${{ left: (100 * deserved) / scale + "%" }}></i>
      <i class="mark fair" title="fair share" style=${{ left: (100 * fair) / scale + "%" }}></i>
    </div></td>
  </tr>`;
}

export function Quota() {
  const { data, error } = useLive(load);
  if (!data) return html`<p class=${error ? "error" : "muted"}>${error ? error.message : "loading..."}</p>`;
  // the column of quotas per pool only where some queue has one
  const byPool = data.departments.concat(data.projects).some((q) => Object.keys(q.pools || {}).length > 0);
  const rows = [];
  for (const d of data.departments) {
    rows.push(html`<${Row} q=${d} depth=${0} byPool=${byPool} />`);
    for (const p of data.projects.filter((p) => p.department === d.name)) rows.push(html`<${Row} q=${p} depth=${1} byPool=${byPool} />`);
  }
  const known = new Set(data.departments.map((d) => d.name));
  for (const p of data.projects.filter((p) => !p.department || !known.has(p.department))) {
    rows.push(html`<${Row} q=${p} depth=${0} byPool=${byPool} />`);
  }
  return html`<section>
    <table class="grid quota">
      <thead><tr><th>queue</th><th>deserved</th><th>fair share</th><th>allocated</th><th>requested</th>
        <th>over quota</th><th>limit</th><th>running / pending</th>
        ${byPool && html`<th title="its GPU quota in a node pool where it gives one (elsewhere its own)">per pool</th>`}<th>allocated vs deserved (|) and fair share (¦)</th></tr></thead>
      <tbody>${rows}</tbody>
    </table>
    ${rows.length === 0 && html`<p class="muted">No department or project you may see.</p>`}
  </section>`;
}
