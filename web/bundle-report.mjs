/**
 * What the web build produced, read from esbuild's metafile: which scripts the page loads before
 * the app can show anything (the entry and everything it imports statically), which load later
 * (dynamic import), their sizes raw and gzipped, the bytes each npm package adds to each group, and
 * any npm package bundled from two places (two versions, or the same one twice), which the build refuses.
 */
import { basename, join } from "node:path";
import { packageOf, sizeOf } from "../scripts/bundle-packages.mjs";

// The package logic is shared with the Worker bundle check; the web build imports it from here.
export { duplicatePackages, packageOf, sizeOf } from "../scripts/bundle-packages.mjs";

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
