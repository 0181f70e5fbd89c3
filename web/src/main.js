// main.js - the dashboard: sign-in, then the pages (Overview, Quota, Workloads, Nodes and
// GPUs, Pools, Consumption) chosen by the URL's #fragment. Signing out drops every page's data.
// Pools is in the navigation only while the cluster has a pool besides the default one.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { count, get } from "./api.js";
import { changeSource } from "./changes.js";
import { html } from "./html.js";
import { Consumption } from "./pages/consumption.js";
import { Login } from "./pages/login.js";
import { Nodes } from "./pages/nodes.js";
import { Overview } from "./pages/overview.js";
import { Pools } from "./pages/pools.js";
import { Quota } from "./pages/quota.js";
import { Workloads } from "./pages/workloads.js";
import { useLive } from "./parts/live.js";
import { current, onChange, signOut } from "./session.js";
import "./style.css";

const PAGES = [
  ["overview", "Overview", Overview],
  ["quota", "Quota", Quota],
  ["workloads", "Workloads", Workloads],
  ["nodes", "Nodes and GPUs", Nodes],
  ["pools", "Pools", Pools],
  ["consumption", "Consumption", Consumption],
];

const pageOf = () => (location.hash.replace(/^#\/?/, "") || "overview").split("?")[0];

function Shell({ session }) {
  const [page, setPage] = useState(pageOf());
  const [who, setWho] = useState(null);
  useEffect(() => {
    const f = () => setPage(pageOf());
    addEventListener("hashchange", f);
    get("/api/v1/whoami").then(setWho, () => {});
    return () => removeEventListener("hashchange", f);
  }, []);
  // more than the default pool (a user who may not read nodes reads no pool: none shown)
  const pools = useLive(() => count("/api/v1/pools").catch(() => 0));
  const shown = PAGES.filter(([id]) => id !== "pools" || pools.data > 1);
  const entry = PAGES.find((p) => p[0] === page) || PAGES[0];
  const Page = entry[2];
  return html`<div class="shell">
    <nav>
      <b class="brand">allot</b>
      ${shown.map(([id, title]) => html`<a href=${"#/" + id} class=${id === entry[0] ? "on" : ""}>${title}</a>`)}
      <span class="who">${(who && who.subject) || session.subject || ""}
        ${who && who.roles && html`<small class="muted">${who.roles.map((r) => `${r.role}@${r.scope}`).join(", ")}</small>`}</span>
      <small class="muted" title="how views learn of changes">${changeSource() === "events" ? "live" : "polling"}</small>
      <button class="link" onClick=${signOut}>Sign out</button>
    </nav>
    <main data-page=${entry[0]}><h1>${entry[1]}</h1><${Page} /></main>
  </div>`;
}

function App() {
  const [session, setSession] = useState(current());
  useEffect(() => onChange(setSession), []);
  // keyed by the access token's subject: another user's sign-in mounts everything afresh
  return session ? html`<${Shell} key=${session.subject} session=${session} />` : html`<${Login} />`;
}

render(html`<${App} />`, document.getElementById("app"));
