// dashboard.test.mjs - the web dashboard in real headless Chromium (Debian's, driven by npm's
// playwright-core; no browser download) against a real allotd with real data: allotd's static
// files and headers, sign-in (and a wrong password), every page rendered and its screenshot
// saved, a workload submitted through the API appearing without a reload, a viewer of one
// department not seeing another's workloads, node pools (the Pools view, a project's quota per
// pool), a topology constraint and subgroups in the workload panel, the nodes' topology labels,
// and the Workloads view's load time with 10,000 workloads (printed as
// web_workloads_load_10k; only a generous bound is asserted).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Allotd, waitUntil } from "./allotd.mjs";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const ALLOTD = process.env.ALLOTD || "build/san/allotd";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.WEB_SCREENSHOTS || "build/web-screenshots";
const PASSWORD = "dashboard-test-pw-1";
const TOKEN_TTL_S = 6; // short: the dashboard's refresh is exercised
const LOAD_BOUND_MS = Number(process.env.WEB_LOAD_BOUND_MS || 10000);

// The status of GET `path` sent exactly as written.
function rawStatus(base, path) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + "/", { path, method: "GET" }, (resp) => {
      resp.resume();
      resolve(resp.statusCode);
    });
    req.on("error", reject);
    req.end();
  });
}

// CI (ALLOT_REQUIRE_CHROMIUM=1, .ci/run) may not skip: scripts/setup installs chromium.
const missing = existsSync(CHROMIUM) ? "" : `${CHROMIUM} is not installed (scripts/setup installs it)`;
if (missing && process.env.ALLOT_REQUIRE_CHROMIUM === "1") throw new Error(missing);

describe("dashboard", { skip: missing || false }, () => {
  let d;
  let browser;
  let host; // the node of the default pool: HOST-3 (HOST-0, -1 are in a100, HOST-2 in h100)

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // 4 nodes of 2 GPUs and 2 x 1g.10gb each: a100 (HOST-0, HOST-1: rack-0), h100 (HOST-2,
    // rack-1) and the default pool (HOST-3, rack-1), where projects pa and pb run
    d = await new Allotd(ALLOTD, ["--token-ttl", String(TOKEN_TTL_S), "--mig-layout", "1g.10gb=2",
      "--nodes", "4", "--node-pools", "a100:2,h100:1", "--topology", "rack=2"]).start();
    host = (await d.must("GET", "/api/v1/nodes")).items.find((n) => n.pool === null).name;
    for (const dep of ["dep-a", "dep-b"]) await d.must("POST", "/api/v1/departments", { name: dep, deserved: { gpu: 1 } });
    await d.must("POST", "/api/v1/projects", { name: "pa", department: "dep-a", deserved: { gpu: 1 } });
    await d.must("POST", "/api/v1/projects", { name: "pb", department: "dep-b", deserved: { gpu: 1 } });
    for (const [user, role, scope] of [["ops", "system-admin", "system"], ["va", "viewer", "department:dep-a"]]) {
      await d.must("POST", "/api/v1/users", { name: user, password: PASSWORD });
      await d.must("POST", "/api/v1/access-rules", { subject: "user:" + user, role, scope });
    }
    const sleeper = (name, project, fields) =>
      d.must("POST", "/api/v1/workloads", { name, project, command: ["sh", "-c", `echo hello from ${name}; sleep 600`], ...fields });
    // project pc (no department) has a quota of its own in pool a100; first, so that every
    // cycle schedules by pool (before a workload or quota names one, the pools are one cluster)
    await d.must("POST", "/api/v1/projects", { name: "pc", deserved: { gpu: 1 },
      pools: { a100: { deserved: { gpu: 2 }, limit: { gpu: 4 } } } });
    await sleeper("pc-pd", "pc", { gpu: 1, node_pool: "a100", required_topology_level: "rack",
      preferred_topology_level: "kubernetes.io/hostname", preemption_policy: "Never",
      subgroups: [{ name: "prefill", workers: 2, required_topology_level: "kubernetes.io/hostname" },
        { name: "decode", workers: 1 }] });
    await sleeper("pc-semi", "pc", { gpu: 1, node_pool: "h100", workers: 2, min_members: 1,
      preemptibility: "semi-preemptible" });
    await sleeper("pa-half", "pa", { gpu_fraction: 0.5 });
    await sleeper("pa-quarter", "pa", { gpu_fraction: 0.25 });
    await sleeper("pb-whole", "pb", { gpu: 1 });
    await sleeper("pb-waits", "pb", { gpu: 2 }); // pending: the other GPU is held
    await sleeper("pb-mig", "pb", { mig: { "1g.10gb": 1 } }); // one of the node's 2 instances
    await waitUntil("six workloads to run", async () =>
      (await d.must("GET", "/api/v1/workloads?state=running")).total === 6);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.stop();
  });

  async function newPage() {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.errors = [];
    page.on("pageerror", (e) => page.errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
    return page;
  }

  async function signIn(page, user, password = PASSWORD) {
    await page.goto(d.url + "/");
    await page.fill("input[name=username]", user);
    await page.fill("input[name=password]", password);
    await page.click("button[type=submit]");
  }

  const shot = (page, name) => page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });

  test("allotd serves the page without a token, with a strict CSP; no traversal", async () => {
    const [status, body, headers] = await d.request("GET", "/", undefined, null);
    assert.equal(status, 200);
    assert.match(headers.get("content-type"), /^text\/html/);
    assert.match(headers.get("content-security-policy"), /default-src 'self'/);
    assert.equal(headers.get("cache-control"), "no-cache");
    const js = body.match(/\/ui\/app-[A-Z0-9]+\.js/)[0];
    const [s2, , h2] = await d.request("GET", js, undefined, null);
    assert.equal(s2, 200);
    assert.match(h2.get("content-type"), /^text\/javascript/);
    assert.match(h2.get("cache-control"), /immutable/);
    // sent as written (fetch would resolve the dots itself)
    for (const bad of ["/ui/../admin.token", "/ui/%2e%2e/admin.token", "/ui/..%2fadmin.token", "/ui/.x",
      "/ui/none.js", "/ui//etc/passwd", "/ui/a/../../admin.token"]) {
      assert.equal(await rawStatus(d.url, bad), 404, bad);
    }
    assert.equal((await d.request("POST", "/", {}, null))[0], 405);
    assert.equal((await d.request("GET", "/api/v1/workloads", undefined, null))[0], 401);
  });

  test("allotd refuses a --ui-dir without the dashboard", async () => {
    const p = spawnSync(ALLOTD, ["--state-dir", d.dir + "/other", "--listen", "127.0.0.1:0", "--ui-dir", d.dir],
      { encoding: "utf8", timeout: 30000 });
    assert.equal(p.status, 2, p.stderr);
    assert.match(p.stderr, /--ui-dir .*: no index\.html there/);
  });

  test("a wrong password shows the error", async () => {
    const page = await newPage();
    await page.goto(d.url + "/");
    await page.waitForSelector("input[name=username]");
    await shot(page, "login");
    await signIn(page, "ops", "not-the-password");
    await page.waitForSelector("[role=alert]");
    assert.match(await page.textContent("[role=alert]"), /wrong user name or password/);
    await shot(page, "login-error");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("allot.session")), null);
    await page.click("text=Sign in with SSO"); // this allotd has no identity provider
    await waitUntil("the SSO refusal", async () => /not configured/.test(await page.textContent("[role=alert]")));
    assert.equal(await page.$("text=Sign in with SSO"), null);
    await page.context().close();
  });

  test("every page renders with real data", async () => {
    const page = await newPage();
    await signIn(page, "ops");
    await page.waitForSelector("[data-testid=gpus-allocated]");
    await waitUntil("the allocation to show", async () =>
      (await page.textContent("[data-testid=gpus-allocated]")) === "7.75"); // 1 of MIG; a100 3, h100 2
    await page.waitForTimeout(2500); // a second sample for the chart
    await shot(page, "overview");

    await page.click("text=Quota");
    await page.waitForSelector("tr[data-queue=pa]");
    assert.match(await page.textContent("tr[data-queue=dep-a]"), /dep-a/);
    await shot(page, "quota");

    await page.click("nav >> text=Workloads");
    await page.waitForSelector('[data-key="pb/pb-waits"]');
    assert.match(await page.textContent('[data-key="pb/pb-waits"]'), /pending/);
    await shot(page, "workloads");
    const keys = () => page.$$eval("[data-key]", (rows) => rows.map((r) => r.dataset.key).sort());
    await page.selectOption("select[aria-label=state]", "pending");
    await waitUntil("the state filter", async () => (await keys()).join() === "pb/pb-waits");
    await page.selectOption("select[aria-label=state]", "");
    await page.fill("input[aria-label=search]", "quarter");
    await waitUntil("the text filter", async () => (await keys()).join() === "pa/pa-quarter");
    await page.fill("input[aria-label=search]", "");
    await page.selectOption("select[aria-label=project]", "pa");
    await waitUntil("the project filter", async () => (await keys()).join() === "pa/pa-half,pa/pa-quarter");
    await page.selectOption("select[aria-label=project]", "");
    await page.click('[data-key="pa/pa-half"]');
    await page.waitForSelector("[data-testid=log]");
    await waitUntil("the log", async () => /hello from pa-half/.test(await page.textContent("[data-testid=log]")));
    assert.match(await page.textContent("[data-testid=describe]"), /scheduled/);
    await shot(page, "workloads-describe");

    await page.click("text=Nodes and GPUs");
    await page.waitForSelector(".gpu");
    const node = await page.textContent(`[data-node="${host}"]`);
    assert.match(node, /pa\/pa-half/);
    assert.match(node, /pb\/pb-whole/);
    assert.match(node, /2\.75 of 4 GPUs held/); // 2 devices + 2 x 1g.10gb; 1.75 + 1 held
    assert.match(await page.textContent(`[data-mig="${host}"]`), /MIG instances in use: 1g\.10gb 1\/2/);
    await shot(page, "nodes");

    await page.click("text=Consumption");
    await page.waitForSelector("[data-testid=consumption-absent], .consumption table");
    await shot(page, "consumption");
    if (await page.$(".consumption table")) { // an allotd with consumption reports
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Export CSV")]);
      assert.match(download.suggestedFilename(), /^consumption-.*\.csv$/);
    } else {
      assert.match(await page.textContent("[data-testid=consumption-absent]"), /not available on this allotd/);
    }
    assert.deepEqual(page.errors.filter((e) => !/404|reports\/consumption|events/.test(e)), []);
    await page.context().close();
  });

  test("node pools, topology constraints and subgroups", async () => {
    const page = await newPage();
    await signIn(page, "ops");
    await page.click("nav >> text=Pools"); // in the navigation: the cluster has pools besides the default
    await page.waitForSelector("tr[data-pool=h100]");
    const list = await page.$$eval("tr[data-pool]", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    // the default pool first; GPUs allocated of the pool's (devices plus 1 per 1g.10gb)
    assert.deepEqual(list.map((r) => r.slice(0, 3)),
      [["default (no pool)", "1", "2.75 / 4"], ["a100", "2", "3 / 8"], ["h100", "1", "2 / 4"]]);
    assert.equal(await page.getAttribute("[data-testid=pool-detail]", "data-pool"), "default");
    await page.click("tr[data-pool=a100]");
    await page.waitForSelector("[data-testid=pool-detail][data-pool=a100] tr[data-project=pc]");
    // the figures of GET /api/v1/pools/a100 (allot pool describe's), as the page reads them
    const api = (await d.must("GET", "/api/v1/pools/a100")).projects.find((p) => p.name === "pc");
    assert.equal(api.fair_share_gpu > 0, true, JSON.stringify(api));
    const cells = async (project) => page.$$eval(`[data-testid=pool-detail] tr[data-project=${project}] td`,
      (tds) => tds.map((c) => c.textContent.trim()));
    await waitUntil("pc's figures in a100", async () => {
      const row = await cells("pc");
      return row.slice(0, 5).join("|") === ["pc", "2", "4", String(api.fair_share_gpu), "3"].join("|") && /^(\d+%|-)$/.test(row[5]);
    });
    assert.deepEqual((await cells("pa")).slice(0, 5), ["pa", "1", "none", (await cells("pa"))[3], "0"]); // its own quota
    assert.match(await page.textContent("[data-testid=pool-detail]"), /2 nodes · 3 of 8 GPUs allocated/);
    await shot(page, "pools");

    await page.click("nav >> text=Quota");
    await page.waitForSelector("tr[data-queue=pc] .poolquota[data-pool=a100]");
    assert.equal(await page.textContent("tr[data-queue=pc] .poolquota[data-pool=a100]"), "a100: 2 (limit 4)");
    assert.equal(await page.$("tr[data-queue=pa] .poolquota"), null); // pa gives no pool its own quota
    await shot(page, "quota-pools");

    await page.click("nav >> text=Workloads");
    await page.fill("input[aria-label=search]", "a100"); // its pool
    await waitUntil("the search by pool", async () =>
      (await page.$$eval("[data-key]", (rows) => rows.map((r) => r.dataset.key))).join() === "pc/pc-pd");
    await page.fill("input[aria-label=search]", "");
    await page.click('[data-key="pc/pc-pd"]');
    await page.waitForSelector("[data-testid=subgroups]");
    assert.equal(await page.textContent("[data-testid=node-pool]"), "a100");
    assert.match(await page.textContent("[data-testid=topology]"), /^in one rack, preferring one host/);
    assert.match(await page.textContent("[data-testid=preemption-policy]"), /^Never/);
    const subgroups = await page.$$eval("[data-testid=subgroups] tbody tr", (rows) =>
      rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    assert.deepEqual(subgroups, [["prefill", "2", "2", "in one host"], ["decode", "1", "1", "anywhere"]]);
    const tasks = await page.$$eval("[data-testid=tasks] tbody tr", (rows) =>
      rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    assert.deepEqual(tasks.map((t) => t[3]), ["prefill", "prefill", "decode"]);
    // prefill's two tasks on one host, all three in one rack (a100's nodes)
    const nodeOf = tasks.map((t) => t[2].split(" ")[0]);
    assert.equal(nodeOf[0], nodeOf[1], String(nodeOf));
    await shot(page, "workloads-subgroups");
    await page.click("[data-testid=describe] >> text=close");
    await page.click('[data-key="pc/pc-semi"]');
    await waitUntil("pc-semi's panel", async () => (await page.textContent("[data-testid=describe] h2")) === "pc/pc-semi");
    await page.waitForSelector("[data-testid=kind]");
    assert.match(await page.textContent("[data-testid=kind]"), /semi-preemptible \(the first worker is not\)/);
    assert.equal(await page.textContent("[data-testid=node-pool]"), "h100");
    assert.equal(await page.$("[data-testid=topology]"), null);
    assert.equal(await page.$("[data-testid=preemption-policy]"), null);

    await page.click("nav >> text=Nodes and GPUs");
    await page.waitForSelector(`[data-labels="${nodeOf[0]}"]`);
    const labels = await page.textContent(`[data-labels="${nodeOf[0]}"]`);
    assert.match(labels, /rack rack-0/);
    assert.match(labels, new RegExp("host " + nodeOf[0]));
    assert.match(await page.textContent(`[data-node="${nodeOf[0]}"] h2`), /pool a100/);
    await page.selectOption("select[aria-label=pool]", "h100");
    await waitUntil("the pool filter", async () =>
      (await page.$$eval("[data-node]", (ns) => ns.map((n) => n.dataset.pool))).join() === "h100");
    await shot(page, "nodes-pools");
    await page.click('[data-node] h2 >> text=pool h100'); // to the Pools page, h100 picked
    await page.waitForSelector("[data-testid=pool-detail][data-pool=h100] tr[data-project=pc]");
    assert.match(page.url(), /#\/pools\?pool=h100$/);
    assert.deepEqual((await cells("pc")).slice(1, 3), ["1", "none"]); // its own quota: no entry for h100
    assert.equal((await cells("pc"))[4], "2");
    await page.click("nav >> text=Pools"); // #/pools: the default pool again
    await page.waitForSelector("[data-testid=pool-detail][data-pool=default]");
    assert.deepEqual(page.errors.filter((e) => !/404|reports\/consumption|events/.test(e)), []);
    await page.context().close();
  });

  test("Pools is not in the navigation of a cluster with the default pool alone", async () => {
    const page = await newPage();
    // this allotd has pools: its answer is replaced with one of a cluster without
    let answered;
    const asked = new Promise((resolve) => (answered = resolve));
    await page.route("**/api/v1/pools?*", async (route) => {
      await route.fulfill({ contentType: "application/json",
        body: JSON.stringify({ items: [{ name: "default", default: true, nodes: 1, gpus: 4, allocated_gpu: 0, cpu_millis: 0, memory_bytes: 0 }], total: 1 }) });
      answered();
    });
    await signIn(page, "ops");
    await page.waitForSelector("nav >> text=Quota");
    await asked; // the navigation has read the pools
    await page.waitForTimeout(300);
    assert.equal(await page.$("nav >> text=Pools"), null);
    await page.goto(d.url + "/#/pools"); // still there by its address
    await page.waitForSelector("tr[data-pool=default]");
    await page.context().close();
  });

  test("a workload submitted through the API appears without a reload", async () => {
    const page = await newPage();
    await signIn(page, "ops");
    await page.waitForSelector("nav");
    await page.goto(d.url + "/#/workloads");
    await page.waitForSelector('[data-key="pa/pa-half"]');
    await page.evaluate(() => (window.notReloaded = true));
    await d.must("POST", "/api/v1/workloads", { name: "arrives-live", project: "pa", command: ["true"], gpu: 2 });
    await page.waitForSelector('[data-key="pa/arrives-live"]', { timeout: 10000 });
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    await page.context().close();
  });

  test("a viewer of one department does not see another's workloads", async () => {
    const page = await newPage();
    await signIn(page, "ops"); // first someone who sees everything, in the same tab
    await page.goto(d.url + "/#/workloads");
    await page.waitForSelector('[data-key="pb/pb-whole"]');
    await page.click("text=Sign out");
    await page.waitForSelector("input[name=username]");
    await signIn(page, "va");
    await page.goto(d.url + "/#/workloads");
    await page.waitForSelector('[data-key="pa/pa-half"]');
    await page.waitForTimeout(2500); // a poll later, still nothing of dep-b
    const keys = await page.$$eval("[data-key]", (rows) => rows.map((r) => r.dataset.key));
    assert.ok(keys.length >= 2, String(keys));
    assert.deepEqual(keys.filter((k) => !k.startsWith("pa/")), []);
    await shot(page, "workloads-viewer");
    await page.context().close();
  });

  test("the access token is refreshed before it expires", async () => {
    const page = await newPage();
    await signIn(page, "ops");
    await page.goto(d.url + "/#/workloads");
    await page.waitForSelector('[data-key="pa/pa-half"]');
    const token = () => page.evaluate(() => JSON.parse(sessionStorage.getItem("allot.session")).access_token);
    const first = await token();
    await waitUntil("a refreshed token", async () => (await token()) !== first, TOKEN_TTL_S * 2000);
    await page.waitForTimeout(TOKEN_TTL_S * 1000); // past the first token's life
    await d.must("POST", "/api/v1/workloads", { name: "after-refresh", project: "pa", command: ["true"], gpu: 2 });
    await page.waitForSelector('[data-key="pa/after-refresh"]', { timeout: 10000 });
    assert.equal(await page.$("input[name=password]"), null);
    await page.context().close();
  });

  test("the Workloads view loads 10,000 workloads", { timeout: 600000 }, async () => {
    const have = (await d.must("GET", "/api/v1/workloads?limit=1")).total;
    const want = 10000;
    let next = 0;
    const submitOne = async () => {
      for (let i = next++; i < want - have; i = next++) {
        // gpu 4 fits no node: pending (no_node_fits) without starting anything
        await d.must("POST", "/api/v1/workloads", { name: `bulk-${i}`, project: i % 2 ? "pa" : "pb", command: ["true"], gpu: 4, queue_anyway: true });
      }
    };
    await Promise.all(Array.from({ length: 16 }, submitOne));
    assert.equal((await d.must("GET", "/api/v1/workloads?limit=1")).total, want);
    const page = await newPage();
    await signIn(page, "ops");
    await page.waitForSelector("nav");
    await page.goto("about:blank");
    const t0 = Date.now();
    await page.goto(d.url + "/#/workloads", { waitUntil: "commit" });
    await page.waitForSelector(".vrow");
    const firstRows = Date.now() - t0;
    await page.waitForFunction(() => document.querySelector("[data-testid=count]").textContent === "10000 workloads", null, { timeout: 60000 });
    const all = Date.now() - t0;
    console.log(`web_workloads_load_10k: ${firstRows} ms`);
    console.log(`web_workloads_load_10k_all_rows: ${all} ms`);
    await shot(page, "workloads-10k");
    assert.ok(firstRows < LOAD_BOUND_MS, `first rows after ${firstRows} ms`);
    await page.context().close();
  });
});
