// nodes.js - each node and each of its GPU devices drawn with the parts held and who holds
// them: the nodes' own figures (GET /api/v1/nodes), the holders from the running workloads'
// tasks (their node and gpu_devices) and what each asks of a device; its MIG instances by
// profile, in use of offered; its node pool and its labels, those that are levels of a
// topology (GET /api/v1/topologies) first and in the topology's order. A filter by pool.
import { useState } from "preact/hooks";
import { getAll } from "../api.js";
import { gpus, level, nodeGpus } from "../format.js";
import { html } from "../html.js";
import { useLive } from "../parts/live.js";
import { poolLink } from "./pools.js";

async function load() {
  const [nodes, running, topologies] = await Promise.all([
    getAll("/api/v1/nodes"),
    getAll("/api/v1/workloads?state=running"),
    getAll("/api/v1/topologies").catch(() => []), // an allotd without topologies: labels only
  ]);
  // node -> device index -> [{workload, part}]
  const holders = new Map();
  for (const w of running) {
    const part = w.gpu ? 1 : w.gpu_fraction || 0;
    for (const t of w.tasks || []) {
      if (!(t.state === "running" || t.state === "stopping" || t.state === "pipelined") || !t.node) continue;
      for (const dev of t.gpu_devices || []) {
        const k = t.node + "/" + dev;
        if (!holders.has(k)) holders.set(k, []);
        holders.get(k).push({ name: `${w.project}/${w.name}`, task: t.index, part, memory: w.gpu_memory_mib, state: t.state });
      }
    }
  }
  return { nodes, holders, topologies };
}

// A stable colour per workload name (FNV-1a, spread round the colour wheel by the golden
// angle, so that names alike get colours apart).
function colour(name) {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `hsl(${Math.round((h % 1000) * 137.508) % 360} 65% 52%)`;
}

function Device({ node, g, holders }) {
  const list = holders.get(node.name + "/" + g.index) || [];
  const known = list.reduce((s, x) => s + (x.part || 0), 0);
  return html`<div class="gpu" data-gpu=${node.name + "/" + g.index}>
    <div class="gpuhead"><b>GPU ${g.index}</b> ${g.model} · ${g.memory_mib} MiB · ${gpus(g.allocated)} held</div>
    <div class="gpubar" title=${`${gpus(g.allocated)} of 1 held`}>
      ${list.map((x) => html`<span style=${{ width: (100 * (x.part || (g.allocated - known) / Math.max(1, list.filter((y) => !y.part).length))) + "%", background: colour(x.name) }}
        title=${`${x.name} task ${x.task}`}></span>`)}
    </div>
    <ul class="holders">${list.map((x) => html`<li><i style=${{ background: colour(x.name) }}></i>${x.name} (task ${x.task}, ${x.part ? gpus(x.part) + " GPU" : x.memory ? x.memory + " MiB" : "-"}${x.state !== "running" ? ", " + x.state : ""})</li>`)}
      ${list.length === 0 && g.workloads && g.workloads.length > 0 && g.workloads.map((n) => html`<li>${n}</li>`)}
      ${list.length === 0 && (!g.workloads || g.workloads.length === 0) && html`<li class="muted">free</li>`}
    </ul>
  </div>`;
}

// Its labels: the topology levels it carries as "rack rack-0" chips (titled with the key and
// the topology), then the others folded ("3 other labels").
function Labels({ node, topologies }) {
  const labels = node.labels || {};
  const seen = new Set();
  const topo = [];
  for (const t of topologies) {
    for (const key of t.levels) {
      if (key in labels && !seen.has(key)) {
        seen.add(key);
        topo.push(html`<span class="chip topo" data-label=${key} title=${`${key}=${labels[key]} (topology ${t.name})`}>${level(key)} ${labels[key]}</span>`);
      }
    }
  }
  const rest = Object.keys(labels).filter((k) => !seen.has(k)).sort();
  if (topo.length === 0 && rest.length === 0) return null;
  return html`<div class="labels" data-labels=${node.name}>${topo}
    ${rest.length > 0 && html`<details><summary class="muted">${rest.length} ${topo.length ? "other " : ""}label${rest.length === 1 ? "" : "s"}</summary>
      ${rest.map((k) => html`<span class="chip" data-label=${k}>${k}=${labels[k]}</span>`)}</details>`}
  </div>`;
}

const poolOf = (n) => n.pool || "default";

export function Nodes() {
  const [pool, setPool] = useState("");
  const { data, error } = useLive(load);
  if (!data) return html`<p class=${error ? "error" : "muted"}>${error ? error.message : "loading..."}</p>`;
  const pools = [...new Set(data.nodes.map(poolOf))].sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : 1));
  const nodes = pool ? data.nodes.filter((n) => poolOf(n) === pool) : data.nodes;
  return html`<section class="nodes">
    ${pools.length > 1 && html`<div class="filters"><select aria-label="pool" value=${pool} onChange=${(e) => setPool(e.currentTarget.value)}>
      <option value="">all pools</option>
      ${pools.map((p) => html`<option value=${p}>${p}</option>`)}
    </select></div>`}
    ${nodes.map((n) => html`<div class="node card" data-node=${n.name} data-pool=${poolOf(n)}>
      <h2>${n.name} <small><a class="muted" href=${poolLink(poolOf(n))}>pool ${poolOf(n)}</a></small></h2>
      <${Labels} node=${n} topologies=${data.topologies} />
      <p class="muted">${`${gpus(n.allocated.gpu)} of ${nodeGpus(n)} GPUs held · CPU ${n.allocated.cpu_millis}/${n.cpu_millis} m · ${n.virtual_gpus ? "declared GPUs" : "discovered GPUs"}`}</p>
      <div class="gpus">${n.gpus.map((g) => html`<${Device} node=${n} g=${g} holders=${data.holders} />`)}</div>
      ${Object.keys(n.mig || {}).length > 0 && html`<p class="mig" data-mig=${n.name}>MIG instances in use: ${
        Object.entries(n.mig).map(([p, c]) => `${p} ${((n.allocated || {}).mig || {})[p] || 0}/${c}`).join(", ")}</p>`}
    </div>`)}
    ${nodes.length === 0 && html`<p class="muted">No node.</p>`}
  </section>`;
}
