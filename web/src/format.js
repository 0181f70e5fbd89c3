// format.js - how numbers, times and durations read in the views.
export function gpus(v) {
  if (v === null || v === undefined) return "-";
  if (v < 0) return "unlimited";
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || seconds < 0) return "-";
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function time(epochS) {
  if (!epochS) return "-";
  return new Date(epochS * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export const nowS = () => Date.now() / 1000;

// What a workload asks of each device it uses: whole GPUs, a fraction, or memory; or its MIG
// instances by profile ("MIG 2x1g.10gb + 3g.40gb").
export function request(w) {
  if (w.gpu) return `${w.gpu} GPU`;
  if (w.gpu_fraction) return `${w.gpu_fraction} GPU`;
  if (w.gpu_memory_mib) return `${w.gpu_memory_mib} MiB`;
  const migs = Object.entries(w.mig || {});
  if (migs.length) return "MIG " + migs.map(([p, n]) => (n > 1 ? `${n}x` : "") + p).join(" + ");
  return "no GPU";
}

// The GPUs a MIG profile's instance counts as: G of "<G>g.<M>gb" (as quotas count it).
export const migGpus = (profile) => Number((/^([1-7])g\./.exec(profile) || [0, 0])[1]);

// A node's GPUs: its devices and G per MIG instance it offers.
export function nodeGpus(n) {
  return (n.gpus || []).length +
    Object.entries(n.mig || {}).reduce((s, [p, c]) => s + migGpus(p) * c, 0);
}

// How long it has waited (pending) or run (running), else its run's length.
export function waited(w) {
  if (w.state === "pending" || w.state === "suspended") return nowS() - w.created_s;
  if (w.started_s) return (w.finished_s || nowS()) - w.started_s;
  return null;
}

// A topology level as a person says it: "host" for kubernetes.io/hostname, else its key.
export const level = (key) => (key === "kubernetes.io/hostname" ? "host" : key);

// A topology constraint: "in one rack, preferring one host" ("" for none).
export function constraint(c) {
  const parts = [];
  if (c.required_topology_level) parts.push(`in one ${level(c.required_topology_level)}`);
  if (c.preferred_topology_level) parts.push(`preferring one ${level(c.preferred_topology_level)}`);
  return parts.join(", ");
}
