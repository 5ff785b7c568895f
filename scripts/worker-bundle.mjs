/**
 * The relay's Worker bundle, built as a deployment builds it (`wrangler deploy --dry-run`, with
 * esbuild's metafile), and checked: one copy of each npm package, and at most WORKER_BUNDLE_LIMIT
 * bytes. `node scripts/worker-bundle.mjs` prints its size and packages and exits 1 when a check fails;
 * test/ops/worker-bundle.test.ts runs the same checks in `npm test`. Needs web/dist (the assets).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { duplicatePackages, packageOf, sizeOf } from "./bundle-packages.mjs";
import { wranglerEnv } from "./wrangler-env.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

/** 400 KB: the bundle's goal (docs/BENCH.md); a first request after eviction parses all of it. */
export const WORKER_BUNDLE_LIMIT = 400_000;

/** Builds the bundle into a temporary folder; its metafile, size, and bytes per npm package ("(own)" for the project's). */
export async function buildWorkerBundle() {
  if (!existsSync(join(root, "web", "dist"))) throw new Error("web/dist is missing (wrangler needs the assets): run node web/build.mjs first");
  const outdir = mkdtempSync(join(tmpdir(), "ora-worker-bundle-"));
  try {
    const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
    const args = [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--metafile", join(outdir, "meta.json")];
    const out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...wranglerEnv() }, stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (d) => (text += d));
      child.stderr.on("data", (d) => (text += d));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrangler deploy --dry-run exited with ${code}:\n${text}`))));
    });
    const metafile = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8"));
    const packages = {};
    for (const output of Object.values(metafile.outputs))
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const name = packageOf(input)?.name ?? "(own)";
        packages[name] = (packages[name] ?? 0) + bytesInOutput;
      }
    return {
      metafile,
      size: sizeOf(join(outdir, "index.js")),
      packages: Object.fromEntries(Object.entries(packages).sort((a, b) => b[1] - a[1])),
      out,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** What is wrong with a built bundle, in words; empty when nothing is. */
export function workerBundleProblems({ metafile, size }, limit = WORKER_BUNDLE_LIMIT) {
  const problems = duplicatePackages(metafile, root).map(({ name, copies }) => `${name} is bundled more than once: ${copies.join(", ")}`);
  if (size.raw > limit) problems.push(`the bundle is ${size.raw} bytes, over the ${limit} allowed`);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = await buildWorkerBundle();
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  console.log(`worker bundle  ${kb(bundle.size.raw)}  (${kb(bundle.size.gzip)} gzip, limit ${kb(WORKER_BUNDLE_LIMIT)})`);
  for (const [name, bytes] of Object.entries(bundle.packages)) console.log(`  ${name.padEnd(24)} ${kb(bytes)}`);
  const problems = workerBundleProblems(bundle);
  for (const problem of problems) console.error(`worker bundle: ${problem}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
