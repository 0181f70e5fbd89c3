// pools.js - the node pools (the default pool first): nodes, GPUs allocated of the pool's, CPU
// and memory; the selected pool's projects with their GPU quota there (deserved, limit), fair
// share there in the last cycle, GPUs held there and recent GPU usage there - the figures of
// `allot pool describe`. The picked pool is in the address (#/pools?pool=a100), which the
// other pages link to.
import { useEffect, useState } from "preact/hooks";
import { get, getAll } from "../api.js";
import { gpus } from "../format.js";
import { html } from "../html.js";
import { useLive } from "../parts/live.js";

const GIB = 1024 * 1024 * 1024;
const cores = (millis) => gpus(Math.round(millis / 10) / 100);
const gib = (bytes) => gpus(Math.round((bytes / GIB) * 10) / 10) + " GiB";
// a share of the pool's GPUs (0..1) as a percentage; null (no usage kept): "-"
const percent = (u) => (u && typeof u.gpu === "number" ? `${Math.round(100 * u.gpu)}%` : "-");

function Detail({ name }) {
  const { data, error } = useLive(() => get("/api/v1/pools/" + encodeURIComponent(name)), [name]);
  if (!data) return html`<p class=${error ? "error" : "muted"}>${error ? error.message : "loading..."}</p>`;
  return html`<div class="card pool-detail" data-testid="pool-detail" data-pool=${data.name}>
    <h2>Pool ${data.name}${data.default ? html` <small class="muted">(the nodes with no pool)</small>` : ""}</h2>
    <p class="muted">${`${data.nodes} node${data.nodes === 1 ? "" : "s"} · ${gpus(data.allocated_gpu)} of ${data.gpus} GPUs allocated · ${cores(data.cpu_millis)} CPU cores, ${gib(data.memory_bytes)}`}</p>
    <table class="grid">
      <thead><tr><th>project</th><th>GPUs deserved</th><th>GPU limit</th><th>fair share</th><th>allocated</th>
        <th title="recent GPU usage in this pool, as a share of its GPUs (time-based fair share)">GPU usage</th></tr></thead>
      <tbody>${data.projects.map((p) => html`<tr data-project=${p.name}>
        <td>${p.name}</td><td>${gpus(p.deserved_gpu)}</td>
        <td>${p.limit_gpu === null || p.limit_gpu === undefined ? "none" : gpus(p.limit_gpu)}</td>
        <td title=${p.fair_share_gpu === null ? "the cluster is not scheduled by pool" : null}>${gpus(p.fair_share_gpu)}</td>
        <td>${gpus(p.allocated_gpu)}</td><td>${percent(p.usage)}</td>
      </tr>`)}</tbody>
    </table>
    ${data.projects.length === 0 && html`<p class="muted">No project you may see.</p>`}
  </div>`;
}

export const poolLink = (name) => "#/pools?pool=" + encodeURIComponent(name);
const fromAddress = () => new URLSearchParams(location.hash.split("?")[1] || "").get("pool");

export function Pools() {
  const [picked, setPickedState] = useState(fromAddress());
  const setPicked = (name) => {
    setPickedState(name);
    history.replaceState(null, "", poolLink(name));
  };
  useEffect(() => { // a link or the navigation's "Pools" while on this page
    const f = () => setPickedState(fromAddress());
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  const { data, error } = useLive(() => getAll("/api/v1/pools"));
  if (!data) return html`<p class=${error ? "error" : "muted"}>${error ? error.message : "loading..."}</p>`;
  // the picked pool, else the first (the default pool) while it exists
  const shown = data.find((p) => p.name === picked) || data[0];
  return html`<section class="pools">
    <table class="grid pool-list">
      <thead><tr><th>pool</th><th>nodes</th><th>GPUs allocated</th><th>CPU cores</th><th>memory</th></tr></thead>
      <tbody>${data.map((p) => html`<tr data-pool=${p.name} class=${"pick" + (shown && p.name === shown.name ? " picked" : "")}
          onClick=${() => setPicked(p.name)}>
        <td>${p.name}${p.default ? html` <small class="muted">(no pool)</small>` : ""}</td><td>${p.nodes}</td>
        <td>${gpus(p.allocated_gpu)} / ${p.gpus}</td><td>${cores(p.cpu_millis)}</td><td>${gib(p.memory_bytes)}</td>
      </tr>`)}</tbody>
    </table>
    ${data.length === 0 && html`<p class="muted">No node, so no pool.</p>`}
    ${shown && html`<${Detail} key=${shown.name} name=${shown.name} />`}
  </section>`;
}
