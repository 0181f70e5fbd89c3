// dashboard.test.mjs - the web dashboard in real headless Chromium (Debian's, driven by npm's
// playwright-core; no browser download) against a real allotd with real data: allotd's static
// files and headers, sign-in (and a wrong password), every page rendered and its screenshot
// saved, a workload submitted through the API appearing without a reload, a viewer of one
// department not seeing another's workloads, and the Workloads view's load time with 10,000
// workloads (printed as web_workloads_load_10k; only a generous bound is asserted).
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

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    d = await new Allotd(ALLOTD, ["--token-ttl", String(TOKEN_TTL_S), "--mig-layout", "1g.10gb=2"]).start();
    for (const dep of ["dep-a", "dep-b"]) await d.must("POST", "/api/v1/departments", { name: dep, deserved: { gpu: 1 } });
    await d.must("POST", "/api/v1/projects", { name: "pa", department: "dep-a", deserved: { gpu: 1 } });
    await d.must("POST", "/api/v1/projects", { name: "pb", department: "dep-b", deserved: { gpu: 1 } });
    for (const [user, role, scope] of [["ops", "system-admin", "system"], ["va", "viewer", "department:dep-a"]]) {
      await d.must("POST", "/api/v1/users", { name: user, password: PASSWORD });
      await d.must("POST", "/api/v1/access-rules", { subject: "user:" + user, role, scope });
    }
    const sleeper = (name, project, fields) =>
      d.must("POST", "/api/v1/workloads", { name, project, command: ["sh", "-c", `echo hello from ${name}; sleep 600`], ...fields });
    await sleeper("pa-half", "pa", { gpu_fraction: 0.5 });
    await sleeper("pa-quarter", "pa", { gpu_fraction: 0.25 });
    await sleeper("pb-whole", "pb", { gpu: 1 });
    await sleeper("pb-waits", "pb", { gpu: 2 }); // pending: the other GPU is held
    await sleeper("pb-mig", "pb", { mig: { "1g.10gb": 1 } }); // one of the node's 2 instances
    await waitUntil("four workloads to run", async () =>
      (await d.must("GET", "/api/v1/workloads?state=running")).total === 4);
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
      (await page.textContent("[data-testid=gpus-allocated]")) === "2.75"); // and 1 of MIG
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
    const node = await page.textContent(".node");
    assert.match(node, /pa\/pa-half/);
    assert.match(node, /pb\/pb-whole/);
    assert.match(node, /2\.75 of 4 GPUs held/); // 2 devices + 2 x 1g.10gb; 1.75 + 1 held
    assert.match(await page.textContent("[data-mig]"), /MIG instances in use: 1g\.10gb 1\/2/);
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
