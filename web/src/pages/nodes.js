// nodes.js - each node and each of its GPU devices drawn with the parts held and who holds
// them: the nodes' own figures (GET /api/v1/nodes), the holders from the running workloads'
// tasks (their node and gpu_devices) and what each asks of a device; its MIG instances by
// profile, in use of offered.
import { getAll } from "../api.js";
import { gpus, nodeGpus } from "../format.js";
import { html } from "../html.js";
import { useLive } from "../parts/live.js";

async function load() {
  const [nodes, running] = await Promise.all([
    getAll("/api/v1/nodes"),
    getAll("/api/v1/workloads?state=running"),
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
  return { nodes, holders };
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

export function Nodes() {
  const { data, error } = useLive(load);
  if (!data) return html`<p class=${error ? "error" : "muted"}>${error ? error.message : "loading..."}</p>`;
  return html`<section class="nodes">
    ${data.nodes.map((n) => html`<div class="node card" data-node=${n.name}>
      <h2>${n.name}${n.pool ? ` (pool ${n.pool})` : ""}</h2>
      <p class="muted">${`${gpus(n.allocated.gpu)} of ${nodeGpus(n)} GPUs held · CPU ${n.allocated.cpu_millis}/${n.cpu_millis} m · ${n.virtual_gpus ? "declared GPUs" : "discovered GPUs"}`}</p>
      <div class="gpus">${n.gpus.map((g) => html`<${Device} node=${n} g=${g} holders=${data.holders} />`)}</div>
      ${Object.keys(n.mig || {}).length > 0 && html`<p class="mig" data-mig=${n.name}>MIG instances in use: ${
        Object.entries(n.mig).map(([p, c]) => `${p} ${((n.allocated || {}).mig || {})[p] || 0}/${c}`).join(", ")}</p>`}
    </div>`)}
    ${data.nodes.length === 0 && html`<p class="muted">No node.</p>`}
  </section>`;
}
