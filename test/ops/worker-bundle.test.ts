/**
 * The relay's Worker bundle, built by the real `wrangler deploy --dry-run` (scripts/worker-bundle.mjs):
 * one copy of each npm package, no zod locale but English, at most 400 KB. The check itself is shown failing on a
 * real esbuild bundle that takes zod from two folders, and on a bundle over the limit.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { buildWorkerBundle, WORKER_BUNDLE_LIMIT, workerBundleProblems } from "../../scripts/worker-bundle.mjs";

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
    // Two copies of one package, as npm leaves them when two workspaces pin different versions.
    const dir = mkdtempSync(join(tmpdir(), "ora-twice-"));
    const copies: [string, string][] = [
      ["node_modules/zod", "4.6.7"],
      ["protocol/node_modules/zod", "4.4.3"],
    ];
    for (const [where, version] of copies) {
      mkdirSync(join(dir, where), { recursive: true });
      writeFileSync(join(dir, where, "package.json"), JSON.stringify({ name: "zod", version, type: "module", main: "index.js" }));
      writeFileSync(join(dir, where, "index.js"), `export const version = ${JSON.stringify(version)};\n`);
    }
    const entry = join(dir, "entry.js");
    writeFileSync(
      entry,
      `import { version as a } from "./node_modules/zod/index.js";\nimport { version as b } from "./protocol/node_modules/zod/index.js";\nexport const both = [a, b];\n`,
    );
    const { metafile } = await build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      write: false,
      outfile: join(dir, "out.js"),
      metafile: true,
      absWorkingDir: dir,
      logLevel: "silent",
    });
    const problems = workerBundleProblems({ metafile, size: { raw: 1, gzip: 1 } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^zod is bundled more than once: .* at node_modules\/zod, .* at protocol\/node_modules\/zod$/);
  });

  // Locally wrangler's entry Worker negotiates compression whatever the relay's flags say, so only the
  // deployed configuration can carry this: ciphertext does not compress, and every browser offers it.
  it("deploys a relay that refuses WebSocket compression", () => {
    const toml = readFileSync(join(import.meta.dirname, "../../wrangler.toml"), "utf8");
    const flags = /^compatibility_flags\s*=\s*\[(.*)\]$/m.exec(toml)?.[1] ?? "";
    expect(flags.split(",").map((flag) => flag.trim().replaceAll('"', ""))).toContain("no_web_socket_compression");
  });

  it("fails a bundle over the limit", () => {
    expect(workerBundleProblems({ metafile: { outputs: {} }, size: { raw: WORKER_BUNDLE_LIMIT + 1, gzip: 0 } })).toEqual([
      `the bundle is ${WORKER_BUNDLE_LIMIT + 1} bytes, over the ${WORKER_BUNDLE_LIMIT} allowed`,
    ]);
    expect(workerBundleProblems({ metafile: { outputs: {} }, size: { raw: WORKER_BUNDLE_LIMIT, gzip: 0 } })).toEqual([]);
  });
});
