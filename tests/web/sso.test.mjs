// sso.test.mjs - the dashboard's "Sign in with SSO" in headless Chromium against a real allotd
// and a real OpenID provider (tests/oidc's, through sso_provider.py): the provider's page opens
// in a new window, the user signs in there, and the dashboard, polling the device-code grant,
// shows the user's pages with the roles their groups give.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { Allotd, waitUntil } from "./allotd.mjs";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const ALLOTD = process.env.ALLOTD || "build/san/allotd";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.WEB_SCREENSHOTS || "build/web-screenshots";

const missing = existsSync(CHROMIUM) ? "" : `${CHROMIUM} is not installed (scripts/setup installs it)`;
if (missing && process.env.ALLOT_REQUIRE_CHROMIUM === "1") throw new Error(missing);

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The provider: {issuer} or {skip}, and stop().
async function startProvider(callback) {
  const proc = spawn("python3", [new URL("./sso_provider.py", import.meta.url).pathname, callback],
    { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((r) => proc.on("exit", r));
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once("line", resolve);
    proc.on("exit", (code) => reject(new Error("sso_provider.py exited with " + code)));
  });
  return { ...JSON.parse(line), stop: () => (proc.stdin.end(), exited) };
}

describe("single sign-on in the dashboard", { skip: missing || false }, () => {
  let idp;
  let d;
  let browser;
  let skip = "";

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/api/v1/sso/callback`;
    idp = await startProvider(callback);
    if (idp.skip) {
      // CI (ALLOT_REQUIRE_OIDC=1, .ci/run) may not skip: scripts/setup installs the provider.
      if (process.env.ALLOT_REQUIRE_OIDC === "1") throw new Error("the OpenID provider cannot run here: " + idp.skip);
      skip = idp.skip;
      return;
    }
    d = new Allotd(ALLOTD);
    const secret = join(d.dir, "client.secret");
    writeFileSync(secret, "allotd-secret\n", { mode: 0o600 });
    d.args = ["--listen", `127.0.0.1:${port}`, "--oidc-issuer", idp.issuer, "--oidc-client-id", "allotd",
      "--oidc-client-secret-file", secret, "--oidc-jwks-refetch", "0"];
    await d.start();
    await d.must("POST", "/api/v1/projects", { name: "ml" });
    await d.must("POST", "/api/v1/access-rules", { subject: "group:ml-team", role: "viewer", scope: "project:ml" });
    await d.must("POST", "/api/v1/workloads", { name: "ml-job", project: "ml", command: ["true"], gpu: 2, queue_anyway: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.stop();
    if (idp) await idp.stop();
  });

  test("Sign in with SSO opens the provider and signs the dashboard in", async (t) => {
    if (skip) return t.skip(skip);
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(d.url + "/");
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("text=Sign in with SSO")]);
    await popup.waitForLoadState();
    // the provider's own forms: its login, then its consent
    for (let step = 0; step < 6 && !popup.url().startsWith(d.url); step++) {
      if (await popup.$("input[name=login]")) {
        await popup.fill("input[name=login]", "alice");
        await popup.fill("input[name=password]", "any");
      }
      await Promise.all([popup.waitForNavigation(), popup.click("button[type=submit]")]);
    }
    assert.ok(popup.url().startsWith(d.url + "/api/v1/sso/callback"), popup.url());
    assert.match(await popup.textContent("body"), /user:alice/);
    await page.waitForSelector("nav", { timeout: 20000 });
    await waitUntil("alice's name", async () => /user:alice/.test(await page.textContent(".who")));
    assert.match(await page.textContent(".who"), /viewer@project:ml/);
    await page.goto(d.url + "/#/workloads");
    await page.waitForSelector('[data-key="ml/ml-job"]');
    await page.screenshot({ path: join(SHOTS, "sso-signed-in.png") });
    await context.close();
  });
});
