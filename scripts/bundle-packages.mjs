/**
 * What npm packages an esbuild bundle holds, read from its metafile: the package a bundled file belongs
 * to, and any package bundled from two folders (two versions, or the same one twice). Shared by the web
 * build (web/build.mjs, web/bundle-report.mjs) and the Worker bundle check (scripts/worker-bundle.mjs).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";

/** Raw and gzip (level 9) bytes of one file. */
export function sizeOf(path) {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** The npm package a bundled input belongs to: its name and folder, or null for the project's own files. */
export function packageOf(input) {
  const parts = input.split(/[\\/]/);
  const at = parts.lastIndexOf("node_modules");
  if (at < 0 || at + 1 >= parts.length) return null;
  const scoped = parts[at + 1].startsWith("@");
  const name = scoped ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  return { name, root: parts.slice(0, at + 2 + (scoped ? 1 : 0)).join("/") };
}

/** Inputs that put at least one byte into some output (tree-shaken files do not count). */
function bundledInputs(metafile) {
  const inputs = new Set();
  for (const output of Object.values(metafile.outputs))
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) if (bytesInOutput > 0) inputs.add(input);
  return inputs;
}

/**
 * npm packages bundled from more than one folder, each with its copies ("4.4.3 at node_modules/zod").
 * `base` is the folder esbuild's paths are relative to (its working directory).
 */
export function duplicatePackages(metafile, base = process.cwd()) {
  const roots = new Map();
  for (const input of bundledInputs(metafile)) {
    const pkg = packageOf(input);
    if (!pkg) continue;
    if (!roots.has(pkg.name)) roots.set(pkg.name, new Set());
    roots.get(pkg.name).add(pkg.root);
  }
  const versionOf = (root) => {
    const manifest = resolve(base, root, "package.json");
    return existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")).version : "?";
  };
  return [...roots]
    .filter(([, found]) => found.size > 1)
    .map(([name, found]) => ({ name, copies: [...found].sort().map((root) => `${versionOf(root)} at ${root}`) }));
}
