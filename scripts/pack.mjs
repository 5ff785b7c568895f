#!/usr/bin/env node
/**
 * `npm run tarballs`: the packages people install from the registry, as tarballs in .ora/pack/ (or the
 * directory given as the first argument):
 *   - ora-agent     the CLI and the agent, what a person installs on a PC (`npm install -g ora-agent`);
 *   - ora-protocol  the client library, for people writing clients: the protocol workspace under its public name.
 *
 * Why not `npm pack` in the workspaces: the agent imports the protocol as `@ora/protocol`, a workspace
 * name we do not publish (a dependency on it fails with E404, or worse installs whatever someone else
 * published under that scope). npm's own answer, `bundleDependencies`, does not work from a workspace:
 * npm 11 packs no bundled dependency that the workspace install hoisted to the root, silently. So each
 * package is staged in a temporary directory: ora-agent with a real copy of @ora/protocol in its
 * node_modules, bundled, and the protocol's own dependencies added to the agent's (the bundled copy
 * finds them there); ora-protocol as the same files under its public name. Nothing is rebuilt or
 * rewritten: both carry the `tsc -b` output this repository runs and tests.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The client library's name on the registry. In this repository it is the workspace @ora/protocol. */
export const CLIENT_LIBRARY = "ora-protocol";

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/**
 * The environment of a user's shell for npm: without the npm_* variables an enclosing `npm run` sets
 * (npm_config_local_prefix would point npm back at this repository).
 */
export function userNpmEnv(env = process.env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !/^npm_/i.test(key)));
}

/** A workspace's manifest as published: no `private`, no `scripts` (the workspace ones refuse `npm pack`). */
function publishable(manifest, changes = {}) {
  const { private: _private, scripts: _scripts, ...rest } = manifest;
  return { ...rest, ...changes };
}

/** Copies what npm packs from a workspace (its `files`, README, package.json) and the repository's LICENSE. */
function stage(workspace, into, manifest) {
  mkdirSync(into, { recursive: true });
  // `files` patterns that exclude (!…) apply when npm packs the staged copy.
  for (const entry of manifest.files.filter((f) => !f.startsWith("!"))) cpSync(join(workspace, entry), join(into, entry), { recursive: true });
  cpSync(join(workspace, "README.md"), join(into, "README.md"));
  cpSync(join(root, "LICENSE"), join(into, "LICENSE"));
  writeFileSync(join(into, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

function npmPack(dir, outDir) {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", outDir], {
    cwd: dir,
    env: userNpmEnv(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return join(outDir, JSON.parse(out)[0].filename);
}

/** Packs both packages into `outDir`; returns the tarballs' paths. Needs `tsc -b` to have run. */
export function packPackages(outDir = join(root, ".ora", "pack")) {
  for (const built of ["protocol/dist/index.js", "node-agent/dist/cli/main.js"]) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run "npm run build" first`);
  }
  mkdirSync(outDir, { recursive: true });
  const protocol = readJson(join(root, "protocol", "package.json"));
  const agent = readJson(join(root, "node-agent", "package.json"));

  const dependencies = { ...agent.dependencies };
  for (const [name, version] of Object.entries(protocol.dependencies)) {
    // One copy each: the bundled protocol resolves these from the agent's node_modules.
    if (dependencies[name] !== undefined && dependencies[name] !== version) {
      throw new Error(`${name}: ora-agent pins ${dependencies[name]} but @ora/protocol pins ${version}; make them agree`);
    }
    dependencies[name] = version;
  }
  const sorted = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1)));

  const staging = mkdtempSync(join(tmpdir(), "ora-pack-"));
  try {
    const agentDir = join(staging, "ora-agent");
    stage(join(root, "node-agent"), agentDir, publishable(agent, { dependencies: sorted, bundleDependencies: [protocol.name] }));
    // The bundled copy declares no dependencies of its own: npm counts a bundled package's dependencies
    // as bundled too and, finding them missing from the tarball, installs them as empty folders. The
    // agent lists them (with the same pins, checked above), and Node finds them from the copy's folder.
    const { dependencies: _bundledDependencies, ...bundled } = publishable(protocol);
    stage(join(root, "protocol"), join(agentDir, "node_modules", ...protocol.name.split("/")), bundled);
    const clientDir = join(staging, CLIENT_LIBRARY);
    stage(join(root, "protocol"), clientDir, publishable(protocol, { name: CLIENT_LIBRARY }));
    return { agent: npmPack(agentDir, outDir), protocol: npmPack(clientDir, outDir) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.env.npm_lifecycle_event === "prepack") {
    // The workspace's own `npm pack` / `npm publish` would make a package that cannot install.
    process.stderr.write(`${process.env.npm_package_name} is packed from the repository root: npm run tarballs\n`);
    process.exit(1);
  }
  const tarballs = packPackages(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`${tarballs.agent}\n${tarballs.protocol}\n`);
}
