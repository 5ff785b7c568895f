/**
 * The relay's Worker bundle, built by the real `wrangler deploy --dry-run` (scripts/worker-bundle.mjs):
 * one copy of each npm package, no zod locale but English, at most 400 KB. The check itself is shown failing on a
 * real esbuild bundle that takes zod from two folders, and on a bundle over the limit.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { buildWorkerBundle, WORKER_BUNDLE_LIMIT, workerBundleProblems } from "../../scripts/worker-bundle.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the Worker bundle", () => {
  it("holds one copy of each package, no zod locale but English, and stays within 400 KB", async () => {
    const bundle = await buildWorkerBundle();
    expect(workerBundleProblems(bundle)).toEqual([]);
    expect(bundle.size.raw).toBeLessThanOrEqual(WORKER_BUNDLE_LIMIT);
    expect(bundle.packages).toHaveProperty("zod");
    const bundled = Object.values(bundle.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([input]) => input),
    );
    // English only: the relay's refusals are worded in it; the other 63 locales stay out.
    expect(bundled.filter((input) => input.includes("zod/v4/locales/") && !input.endsWith("/en.js"))).toEqual([]);
  }, 90_000);

  it("fails a bundle that takes a package from two folders, naming both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ora-twice-"));
    const entry = join(dir, "entry.js");
    const mini = (pkg: string) => JSON.stringify(join(root, pkg, "node_modules/zod/v4/mini/index.js"));
    writeFileSync(entry, `import * as a from ${mini("protocol")};\nimport * as b from ${mini(".")};\nexport const both = [a.string(), b.string()];\n`);
    const { metafile } = await build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      write: false,
      outfile: join(dir, "out.js"),
      metafile: true,
      absWorkingDir: root,
      logLevel: "silent",
    });
    const problems = workerBundleProblems({ metafile, size: { raw: 1, gzip: 1 } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^zod is bundled more than once: .* at node_modules\/zod, .* at protocol\/node_modules\/zod$/);
  });

  it("fails a bundle over the limit", () => {
    expect(workerBundleProblems({ metafile: { outputs: {} }, size: { raw: WORKER_BUNDLE_LIMIT + 1, gzip: 0 } })).toEqual([
      `the bundle is ${WORKER_BUNDLE_LIMIT + 1} bytes, over the ${WORKER_BUNDLE_LIMIT} allowed`,
    ]);
    expect(workerBundleProblems({ metafile: { outputs: {} }, size: { raw: WORKER_BUNDLE_LIMIT, gzip: 0 } })).toEqual([]);
  });
});
