/**
 * What the web build produced, read from esbuild's metafile: which scripts the page loads before
 * the app can show anything (the entry and everything it imports statically), which load later
 * (dynamic import), their sizes raw and gzipped, the bytes each npm package adds to each group, and
 * any npm package bundled from two places (two versions, or the same one twice), which the build refuses.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
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

/**
 * The entry script, the scripts the page needs at start (`initial`: the entry and its static imports,
 * transitively) and the rest (`lazy`), with sizes of each file and of both groups, and bytes per npm
 * package ("(app)" for the project's own sources) in each group. `dist` holds the built files.
 */
export function bundleReport(metafile, web, dist = join(web, "dist")) {
  const outputs = metafile.outputs;
  const scripts = Object.keys(outputs).filter((path) => path.endsWith(".js"));
  const entryPath = scripts.find((path) => outputs[path].entryPoint?.endsWith("src/main.ts"));
  if (!entryPath) throw new Error("no entry script in the metafile");
  const initialPaths = new Set([entryPath]);
  for (const path of initialPaths)
    for (const imported of outputs[path].imports) if (imported.kind === "import-statement" && imported.path.endsWith(".js")) initialPaths.add(imported.path);
  const lazyPaths = scripts.filter((path) => !initialPaths.has(path));
  const sizes = Object.fromEntries(scripts.map((path) => [basename(path), sizeOf(join(dist, basename(path)))]));
  const total = (paths) =>
    [...paths].reduce((sum, path) => ({ raw: sum.raw + sizes[basename(path)].raw, gzip: sum.gzip + sizes[basename(path)].gzip }), { raw: 0, gzip: 0 });
  const packages = (paths) => {
    const bytes = {};
    for (const path of paths)
      for (const [input, { bytesInOutput }] of Object.entries(outputs[path].inputs)) {
        const pkg = packageOf(input);
        const key = pkg ? pkg.name : input.includes("protocol/") ? "(protocol)" : "(app)";
        bytes[key] = (bytes[key] ?? 0) + bytesInOutput;
      }
    return Object.fromEntries(Object.entries(bytes).sort((a, b) => b[1] - a[1]));
  };
  return {
    entry: basename(entryPath),
    initial: [...initialPaths].map((path) => basename(path)),
    lazy: lazyPaths.map((path) => basename(path)),
    sizes,
    initialSize: total(initialPaths),
    totalSize: total(scripts),
    initialPackages: packages(initialPaths),
    lazyPackages: packages(lazyPaths),
  };
}
