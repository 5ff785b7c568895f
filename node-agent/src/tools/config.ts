/**
 * Tool settings from the environment. File roots are opt-in: with ORA_FILE_ROOTS unset the file tools
 * and `run.program` refuse everything, so a fresh install exposes nothing of the disk.
 */
import { realpathSync, statSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve, sep } from "node:path";
import type { ToolConfig } from "../safety/tool.js";
import { UserError } from "../cli/errors.js";
import { PROFILES, type Profile } from "../config.js";

export const DEFAULT_TOOL_LIMITS = {
  fetch: { maxBytes: 2 * 1024 * 1024, timeoutMs: 15_000, maxRedirects: 5 },
  run: { timeoutMs: 30_000, maxOutputBytes: 256 * 1024 },
} as const;

/** ToolConfig with the state directories file tools must refuse even inside a root. */
export type ToolConfigWithExclusions = ToolConfig & { excluded: string[] };

/**
 * Reads ORA_FILE_ROOTS (directories separated by the platform's path delimiter) and the limits
 * ORA_FETCH_MAX_BYTES, ORA_FETCH_TIMEOUT_MS, ORA_FETCH_MAX_REDIRECTS, ORA_RUN_TIMEOUT_MS and
 * ORA_RUN_MAX_OUTPUT_BYTES. The state holds the device keys and the database, so a root inside it is
 * refused, and a root around it (the home folder, say) gets it in `excluded`, together with the other
 * profiles' state when the default layout <data>/ora/<profile> is used.
 */
export function toolConfigFromEnv(env: NodeJS.ProcessEnv, stateDir: string): ToolConfigWithExclusions {
  const state = realOrResolved(stateDir);
  const excluded = PROFILES.includes(basename(state) as Profile) ? [dirname(state)] : [state];
  const roots: string[] = [];
  for (const entry of (env.ORA_FILE_ROOTS ?? "").split(delimiter)) {
    if (entry.trim() === "") continue;
    const root = realRoot(entry);
    if (excluded.some((dir) => isInside(root, dir))) throw new UserError(`ORA_FILE_ROOTS: "${entry}" is inside the agent's state directory`);
    if (!roots.includes(root)) roots.push(root);
  }
  const d = DEFAULT_TOOL_LIMITS;
  return {
    roots,
    excluded,
    fetch: {
      maxBytes: limit(env, "ORA_FETCH_MAX_BYTES", d.fetch.maxBytes, 64 * 1024 * 1024),
      timeoutMs: limit(env, "ORA_FETCH_TIMEOUT_MS", d.fetch.timeoutMs, 300_000),
      maxRedirects: limit(env, "ORA_FETCH_MAX_REDIRECTS", d.fetch.maxRedirects, 20, 0),
    },
    run: {
      timeoutMs: limit(env, "ORA_RUN_TIMEOUT_MS", d.run.timeoutMs, 3_600_000),
      maxOutputBytes: limit(env, "ORA_RUN_MAX_OUTPUT_BYTES", d.run.maxOutputBytes, 64 * 1024 * 1024),
    },
  };
}

/** The excluded directories of a config, when it names any. */
export function excludedDirs(config: ToolConfig): readonly string[] {
  return (config as Partial<ToolConfigWithExclusions>).excluded ?? [];
}

/** True when `path` is `dir` or lies below it. Both must be absolute and normalised. */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function realRoot(entry: string): string {
  let real: string;
  try {
    real = realpathSync(resolve(entry));
  } catch {
    throw new UserError(`ORA_FILE_ROOTS: "${entry}" does not exist`);
  }
  if (!statSync(real).isDirectory()) throw new UserError(`ORA_FILE_ROOTS: "${entry}" is not a directory`);
  return real;
}

/** The state directory may not exist yet on first start: resolve its nearest existing ancestor. */
function realOrResolved(path: string): string {
  let dir = resolve(path);
  let rest = "";
  for (;;) {
    try {
      return join(realpathSync(dir), rest);
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return resolve(path);
      rest = join(basename(dir), rest);
      dir = parent;
    }
  }
}

function limit(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new UserError(`${name} must be a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new UserError(`${name} must be between ${min} and ${max}`);
  return value;
}
