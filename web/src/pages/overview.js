// overview.js - the fleet at a glance: GPUs allocated and idle now and over the time this page
// has been open (samples kept here, one per refresh), pending and running workloads, the scheduling cycle's
// latency (GET /healthz).
import { useEffect, useRef, useState } from "preact/hooks";
import { count, get, getAll } from "../api.js";
import { gpus, nodeGpus } from "../format.js";
import { html } from "../html.js";
import { Chart } from "../parts/chart.js";
import { useLive } from "../parts/live.js";

const SAMPLE_MS = 2000; // a sample at least this often, whatever the source of changes
const KEEP = 1800; // samples (an hour at one per 2 s)

async function load() {
  const [nodes, pending, running, health] = await Promise.all([
    getAll("/api/v1/nodes"),
    count("/api/v1/workloads?state=pending"),
    count("/api/v1/workloads?state=running"),
    fetch("/healthz").then((r) => r.json()),
  ]);
  let total = 0;
  let allocated = 0;
  for (const n of nodes) { // a MIG instance of <G>g counts as G GPUs, held or offered
    total += nodeGpus(n);
    allocated += n.allocated ? n.allocated.gpu : (n.gpus || []).reduce((s, g) => s + g.allocated, 0);
  }
  return { nodes: nodes.length, total, allocated, pending, running, health };
}

export function Overview() {
  const { data, error } = useLive(load, [], SAMPLE_MS);
  const samples = useRef([[], [], []]);
  const [series, setSeries] = useState([[], [], []]);
  useEffect(() => {
    if (!data) return;
    const s = samples.current;
    s[0].push(Date.now() / 1000);
    s[1].push(data.allocated);
    s[2].push(data.total - data.allocated);
    if (s[0].length > KEEP) s.forEach((a) => a.shift());
    setSeries(s.map((a) => a.slice()));
  }, [data]);
  if (!data) return html`<p class=${error ? "error" : "muted"}>${error ? error.message : "loading..."}</p>`;
  const cycle = (data.health.timing && data.health.timing.cycle_ms) || {};
  const ms = (v) => (v === null || v === undefined ? "-" : v.toFixed(1) + " ms");
  return html`<section class="overview">
    <div class="tiles">
      <div class="tile"><span class="big" data-testid="gpus-allocated">${gpus(data.allocated)}</span> of ${data.total} GPUs allocated</div>
      <div class="tile"><span class="big">${gpus(data.total - data.allocated)}</span> GPUs idle</div>
      <div class="tile"><span class="big" data-testid="pending">${data.pending}</span> pending workloads</div>
      <div class="tile"><span class="big">${data.running}</span> running</div>
      <div class="tile"><span class="big">${ms(cycle.p50)}</span> cycle p50 (p90 ${ms(cycle.p90)}, max ${ms(cycle.max)})</div>
      <div class="tile"><span class="big">${data.nodes}</span> nodes; allotd ${data.health.status}</div>
    </div>
    <h2>GPUs over time</h2>
    <p class="muted">Sampled while this page is open.</p>
    <${Chart} data=${series} opts=${{
      series: [
        {},
        { label: "allocated", stroke: "#2f6fdf", fill: "rgba(47,111,223,0.15)" },
        { label: "idle", stroke: "#999" },
      ],
      scales: { y: { range: (u, lo, hi) => [0, Math.max(1, data.total, hi)] } },
    }} />
  </section>`;
}
