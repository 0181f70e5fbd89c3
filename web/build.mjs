// build.mjs - bundles the dashboard (src/main.js and its CSS) with esbuild into OUT (argument;
// default ../build/web): app-HASH.js, app-HASH.css and index.html naming them. allotd serves
// that directory (src/daemon/ui.c); files with a hash in their name are cached for a year.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "..", "build", "web"));
const tmp = out + ".tmp";

rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const result = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outdir: tmp,
  entryNames: "app-[hash]",
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
});
const names = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = names.find((n) => n.endsWith(".js"));
const css = names.find((n) => n.endsWith(".css"));
const page = readFileSync(join(here, "index.html"), "utf8")
  .replace("APP_JS", "/ui/" + js)
  .replace("APP_CSS", "/ui/" + css);
writeFileSync(join(tmp, "index.html"), page);
rmSync(out, { recursive: true, force: true });
// the finished directory replaces the old one whole: allotd never serves half a build
(await import("node:fs")).renameSync(tmp, out);
console.log(`web: ${out}/ (${js}, ${css})`);
