/**
 * Where tools may work. Roots come from ORA_TOOL_ROOTS (separated like PATH). No root may
 * lie inside a profile's state directory, and every profile's state directory is listed in `excluded`,
 * so a file tool in the shared profile can never read the private profile's database, credential or
 * control socket even when a root (say, the home directory) contains them.
 */
import { existsSync, realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, relative, resolve } from "node:path";
import { UserError } from "../errors.js";
import { DEFAULT_RELAY, resolveConfig } from "../config.js";
import type { ToolConfig } from "./tool.js";

export const DEFAULT_TOOL_LIMITS: Pick<ToolConfig, "fetch" | "run"> = {
  fetch: { maxBytes: 1_048_576, timeoutMs: 15_000, maxRedirects: 3 },
  run: { timeoutMs: 30_000, maxOutputBytes: 262_144 },
};

export function toolConfigFor(stateDir: string, env: NodeJS.ProcessEnv = {}): ToolConfig {
  const excluded = stateDirs(stateDir, env);
  const roots = (env.ORA_TOOL_ROOTS ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((root) => {
      if (!isAbsolute(root)) throw new UserError(`ORA_TOOL_ROOTS: "${root}" is not an absolute path`);
      if (!existsSync(root)) throw new UserError(`ORA_TOOL_ROOTS: "${root}" does not exist`);
      const real = realpathSync(root);
      if (excluded.some((dir) => within(real, dir)))
        throw new UserError(`ORA_TOOL_ROOTS: "${root}" is inside an ORA state directory; tools may not work there`);
      return real;
    });
  return { roots, excluded, ...DEFAULT_TOOL_LIMITS };
}

/** This profile's state directory and the directory holding every profile's default one, as real paths. */
function stateDirs(stateDir: string, env: NodeJS.ProcessEnv): string[] {
  const oraHome = dirname(resolveConfig({ profile: "private", relay: DEFAULT_RELAY }, { ...env, ORA_STATE_DIR: undefined }).stateDir);
  return [...new Set([stateDir, oraHome].map((dir) => (existsSync(dir) ? realpathSync(dir) : resolve(dir))))];
}

/** True when `path` is `dir` or below it. */
export function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
