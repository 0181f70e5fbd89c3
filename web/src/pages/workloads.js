// workloads.js - every workload the user may see, live: state, reason, queue position, wait
// time; filters by project and state (the API's) and by text (name, project, node pool,
// reason: here); a virtualised table, its first 1000 rows shown before the rest arrive. A row
// opens its description (with its node pool, topology constraint, subgroups and each task's
// subgroup), events and log.
import { useMemo, useState } from "preact/hooks";
import { get, getAll } from "../api.js";
import { constraint, duration, request, time, waited } from "../format.js";
import { html } from "../html.js";
import { useLive } from "../parts/live.js";
import { VTable } from "../parts/vtable.js";
import { poolLink } from "./pools.js";

const STATES = ["", "pending", "running", "suspended", "succeeded", "failed", "deleting"];
const keyOf = (w) => w.project + "/" + w.name;

const COLUMNS = [
  { key: "name", title: "name", width: "2fr", cell: (w) => w.name },
  { key: "project", title: "project", width: "1fr", cell: (w) => w.project },
  { key: "state", title: "state", width: "90px", cell: (w) => html`<span class=${"state " + w.state}>${w.state}</span>` },
  { key: "gpu", title: "asks", width: "120px", cell: (w) => `${w.workers}× ${request(w)}` },
  { key: "pos", title: "queue #", width: "70px", cell: (w) => w.queue_position || "" },
  { key: "wait", title: "waited / ran", width: "100px", cell: (w) => duration(waited(w)) },
  { key: "where", title: "where", width: "120px", cell: (w) => (w.node ? `${w.node} [${w.gpu_devices.join(",")}]` : (w.nodes || []).join(", ")) },
  { key: "reason", title: "reason", width: "3fr", cls: "reason", cell: (w) => w.reason || "" },
];

function listPath(project, state) {
  const q = [];
  if (project) q.push("project=" + encodeURIComponent(project));
  if (state) q.push("state=" + state);
  return "/api/v1/workloads" + (q.length ? "?" + q.join("&") : "");
}

export function Workloads() {
  const [project, setProject] = useState("");
  const [state, setState] = useState("");
  const [text, setText] = useState("");
  const [picked, setPicked] = useState(null);
  const projects = useLive(() => getAll("/api/v1/projects"));
  const { data, error } = useLive((partial) => getAll(listPath(project, state), partial), [project, state]);
  const rows = useMemo(() => {
    const all = data || [];
    const t = text.trim().toLowerCase();
    return t ? all.filter((w) => (w.name + " " + w.project + " " + (w.node_pool || "") + " " + (w.reason || "")).toLowerCase().includes(t)) : all;
  }, [data, text]);
  return html`<section class="workloads">
    <div class="filters">
      <select aria-label="project" value=${project} onChange=${(e) => setProject(e.currentTarget.value)}>
        <option value="">all projects</option>
        ${(projects.data || []).map((p) => html`<option value=${p.name}>${p.name}</option>`)}
      </select>
      <select aria-label="state" value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
        ${STATES.map((s) => html`<option value=${s}>${s || "all states"}</option>`)}
      </select>
      <input aria-label="search" placeholder="search name, project, pool, reason" value=${text}
        onInput=${(e) => setText(e.currentTarget.value)} />
      <span class="muted" data-testid="count">${data ? `${rows.length} workloads` : "loading..."}</span>
      ${error && html`<span class="error">${error.message}</span>`}
    </div>
    <div class="split">
      <${VTable} rows=${rows} columns=${COLUMNS} rowKey=${keyOf} picked=${picked && keyOf(picked)} onPick=${setPicked} />
      ${picked && html`<${Describe} key=${keyOf(picked)} w=${picked} close=${() => setPicked(null)} />`}
    </div>
  </section>`;
}

async function describe(w) {
  const base = `/api/v1/workloads/${encodeURIComponent(w.name)}`;
  const q = "project=" + encodeURIComponent(w.project);
  const [obj, events] = await Promise.all([
    get(`${base}?${q}`),
    get(`${base}/events?${q}&limit=1000`).then((p) => p.items),
  ]);
  let logs;
  try {
    logs = await get(`${base}/logs?${q}&task=0&tail=200`);
  } catch (e) {
    logs = `(${e.message})`;
  }
  return { obj, events, logs };
}

// "training, priority 50, semi-preemptible (the first 2 workers are not)"
function kindLine(o) {
  let s = `${o.kind}, priority ${o.priority}`;
  if (o.preemptibility === "semi-preemptible") s += `, semi-preemptible (${o.min_members === 1 ? "the first worker is" : `the first ${o.min_members} workers are`} not)`;
  else if (o.preemptible) s += ", preemptible";
  return s;
}

// Its subgroups: name, workers, gang minimum and topology constraint.
function Subgroups({ list }) {
  return html`<h3>Subgroups</h3>
    <table class="grid compact" data-testid="subgroups">
      <thead><tr><th>subgroup</th><th>workers</th><th>min</th><th>placement</th></tr></thead>
      <tbody>${list.map((g) => html`<tr data-subgroup=${g.name}>
        <td>${g.name}</td><td>${g.workers}</td><td>${g.min_members}</td>
        <td title=${[g.required_topology_level, g.preferred_topology_level].filter(Boolean).join(" / ")}>${constraint(g) || "anywhere"}</td>
      </tr>`)}</tbody>
    </table>`;
}

function Tasks({ tasks }) {
  const sub = tasks.some((t) => t.subgroup);
  return html`<table class="grid compact" data-testid="tasks">
    <thead><tr><th>task</th><th>state</th><th>where</th>${sub && html`<th>subgroup</th>`}</tr></thead>
    <tbody>${tasks.map((t) => html`<tr data-task=${t.index}>
      <td>${t.index}</td><td>${t.state}</td><td>${t.node ? `${t.node} [${(t.gpu_devices || []).join(",")}]` : ""}</td>
      ${sub && html`<td>${t.subgroup || ""}</td>`}
    </tr>`)}</tbody>
  </table>`;
}

function Describe({ w, close }) {
  const { data, error } = useLive(() => describe(w), [w.project, w.name]);
  return html`<aside class="describe card" data-testid="describe">
    <header><h2>${w.project}/${w.name}</h2><button class="link" onClick=${close}>close</button></header>
    ${error && html`<p class="error">${error.message}</p>`}
    ${data && html`
      <dl>
        <dt>state</dt><dd>${data.obj.state}${data.obj.reason_code ? ` (${data.obj.reason_code})` : ""}</dd>
        <dt>kind</dt><dd data-testid="kind">${kindLine(data.obj)}</dd>
        ${data.obj.preemption_policy === "Never" && html`<dt>preemption</dt><dd data-testid="preemption-policy">Never (it evicts nothing, it waits)</dd>`}
        <dt>asks</dt><dd>${data.obj.workers}× ${request(data.obj)}${data.obj.min_members !== data.obj.workers ? ` (at least ${data.obj.min_members} together)` : ""}</dd>
        <dt>node pool</dt><dd data-testid="node-pool"><a href=${poolLink(data.obj.node_pool || "default")}>${data.obj.node_pool || "default"}</a></dd>
        ${constraint(data.obj) && html`<dt>topology</dt><dd data-testid="topology">${constraint(data.obj)}${data.obj.topology ? ` (topology ${data.obj.topology})` : ""}</dd>`}
        <dt>command</dt><dd><code>${data.obj.command.join(" ")}</code></dd>
        <dt>created</dt><dd>${time(data.obj.created_s)}</dd>
        <dt>started</dt><dd>${time(data.obj.started_s)}</dd>
        <dt>restarts</dt><dd>${data.obj.restarts}</dd>
        ${data.obj.reservation && html`<dt>reservation</dt><dd data-testid="reservation">${data.obj.reservation.nodes.join(", ")} from ${time(data.obj.reservation.start_s)} (by known time limits)</dd>`}
      </dl>
      ${data.obj.subgroups && data.obj.subgroups.length > 0 && html`<${Subgroups} list=${data.obj.subgroups} />`}
      <h3>Tasks</h3>
      <${Tasks} tasks=${data.obj.tasks} />
      <h3>Events</h3>
      <ul class="events">${data.events.map((e) => html`<li><span class="muted">${time(e.time_s)}</span> <b>${e.kind}</b> ${e.message}</li>`)}</ul>
      <h3>Log (task 0, last 200 lines)</h3>
      <pre class="log" data-testid="log">${data.logs || "(empty)"}</pre>`}
  </aside>`;
}
