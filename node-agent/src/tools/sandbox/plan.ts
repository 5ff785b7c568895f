/**
 * What a sandboxed program may touch, independent of the mechanism that enforces it: the shared roots
 * are the only places it may write; the home folders are hidden (roots inside them stay visible); the
 * agent's state directories are hidden even where a root contains them; the network is off unless the
 * owner allowed it for this call. bwrap.ts and macos.ts turn a plan into their own arguments.
 */
import { existsSync, realpathSync } from "node:fs";
import { userInfo } from "node:os";
import { isAbsolute, sep } from "node:path";
import { within } from "../../safety/tool-config.js";

export interface SandboxPlan {
  /** Absolute real paths: writable, and visible even inside a hidden folder. */
  roots: string[];
  /** Absolute paths shown empty (the home folders); a deeper root inside one is shown again. */
  hidden: string[];
  /** Absolute paths hidden whatever else is shared (the agent's state directories, its control socket). */
  excluded: string[];
  /** The working folder, inside a root. */
  cwd: string;
  network: boolean;
  /**
   * Real paths of the program's own files (its file, an interpreter, a node_modules folder), shown
   * read-only even where the sandbox starts empty (its own /tmp and /run): a program installed under
   * /tmp must still find itself, and nothing else there.
   */
  programs: string[];
}

/** The folders a plan hides: HOME and the account's own home folder when they differ, never "/". */
export function homeFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  let account: string | undefined;
  try {
    account = userInfo().homedir;
  } catch {
    // No passwd entry for this uid (some containers): HOME is all there is.
  }
  const found = [env.HOME, account].filter((dir): dir is string => typeof dir === "string" && isAbsolute(dir));
  return unique(found.map(real).filter((dir) => dir !== sep));
}

export function planFor(options: {
  roots: readonly string[];
  excluded?: readonly string[];
  cwd: string;
  network: boolean;
  env?: NodeJS.ProcessEnv;
  /** The program's own file, when known (run.ts and MCP find it before they start it). */
  program?: string;
}): SandboxPlan {
  return {
    roots: unique(options.roots.map(real)),
    hidden: homeFolders(options.env),
    excluded: unique((options.excluded ?? []).map(real)),
    cwd: options.cwd,
    network: options.network,
    programs: options.program === undefined ? [] : [real(options.program)],
  };
}

/** True when a program at `path` would be hidden from itself by the plan (say, one in ~/.local/bin). */
export function hiddenBy(plan: SandboxPlan, path: string): boolean {
  if (plan.excluded.some((dir) => within(path, dir))) return true;
  const hider = deepest(plan.hidden.filter((dir) => within(path, dir)));
  if (hider === undefined) return false;
  return !plan.roots.some((root) => within(path, root) && depth(root) >= depth(hider));
}

/**
 * Hiding and sharing ordered so that the most specific folder wins: a root inside the home folder is
 * visible, a home folder inside a root is still hidden. At equal depth (the home folder itself is a
 * root) sharing wins, since the owner named that folder.
 */
export function layered(plan: SandboxPlan): { kind: "hide" | "share"; path: string }[] {
  const ops = [...plan.hidden.map((path) => ({ kind: "hide" as const, path })), ...plan.roots.map((path) => ({ kind: "share" as const, path }))];
  return ops.sort((a, b) => depth(a.path) - depth(b.path) || (a.kind === b.kind ? 0 : a.kind === "hide" ? -1 : 1));
}

export function depth(path: string): number {
  return path.split(sep).filter(Boolean).length;
}

function deepest(paths: string[]): string | undefined {
  return paths.sort((a, b) => depth(b) - depth(a))[0];
}

function real(path: string): string {
  return existsSync(path) ? realpathSync(path) : path;
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
