// allotd.mjs - starts a real allotd for the dashboard's tests (as tests/api/harness.py does:
// a temporary state dir, a free loopback port read from allotd.addr, the admin token and the
// first admin's password from the state dir), calls its API, and stops it leaving nothing.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what, fn, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error("timed out waiting for " + what);
    await sleep(50);
  }
}

export class Allotd {
  constructor(binary, args = []) {
    this.binary = binary;
    this.args = args;
    this.dir = mkdtempSync(join(tmpdir(), "allot-web-"));
  }

  async start() {
    const log = openSync(join(this.dir, "allotd.stderr"), "a");
    this.proc = spawn(this.binary, ["--state-dir", this.dir, "--listen", "127.0.0.1:0",
      "--gpus", "2xA100-80GiB", "--grace-period", "1", "--login-rate", "10000", ...this.args],
    { stdio: ["ignore", log, log], env: { ...process.env, ALLOTD_CHECK_MODEL: "0" } });
    this.exited = new Promise((r) => this.proc.on("exit", (code, signal) => r({ code, signal })));
    const addr = join(this.dir, "allotd.addr");
    await waitUntil("allotd to listen", () => existsSync(addr) || this.proc.exitCode !== null);
    if (this.proc.exitCode !== null) throw new Error("allotd exited: " + this.log());
    this.url = readFileSync(addr, "utf8").trim();
    this.token = readFileSync(join(this.dir, "admin.token"), "utf8").trim();
    this.adminPassword = readFileSync(join(this.dir, "admin.password"), "utf8").trim();
    return this;
  }

  log() {
    return readFileSync(join(this.dir, "allotd.stderr"), "utf8");
  }

  // [status, parsed JSON or text, headers]
  async request(method, path, body, token = this.token) {
    const headers = token ? { Authorization: "Bearer " + token } : {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(this.url + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = resp.headers.get("content-type") || "";
    const data = type.startsWith("application/json") ? await resp.json() : await resp.text();
    return [resp.status, data, resp.headers];
  }

  async must(method, path, body, want = [200, 201]) {
    const [status, data] = await this.request(method, path, body);
    if (!want.includes(status)) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(data)}`);
    return data;
  }

  // The process groups of every task allotd records.
  async taskPids() {
    const pids = [];
    for (let off = 0; ; off += 1000) {
      const [status, page] = await this.request("GET", `/api/v1/workloads?state=running&limit=1000&offset=${off}`);
      if (status !== 200) break;
      for (const w of page.items) for (const t of w.tasks) if (t.pid) pids.push(t.pid);
      if (off + 1000 >= page.total) break;
    }
    return pids;
  }

  // SIGTERM (allotd must exit 0: sanitizers report nothing), then the tasks it leaves
  // running (they outlive allotd by design) are killed and the state dir removed.
  async stop() {
    if (!this.proc) return;
    const pids = await this.taskPids().catch(() => []);
    this.proc.kill("SIGTERM");
    const timeout = sleep(30000).then(() => ({ code: "timeout" }));
    const { code, signal } = await Promise.race([this.exited, timeout]);
    if (code === "timeout") this.proc.kill("SIGKILL");
    this.proc = null;
    for (const pid of pids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    const log = this.log();
    rmSync(this.dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`allotd exited with ${code ?? signal}: ${log}`);
  }
}
