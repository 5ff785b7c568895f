/**
 * Linux: bubblewrap's argument vector for a plan. The whole system is mounted read-only, /tmp and /run
 * are fresh and empty (/run holds sockets such as docker.sock, and a read-only mount does not stop
 * connect() on a Unix socket), the home folders are empty tmpfs, the roots are bound back writable,
 * and the state directories are covered last so that no root can expose them. The program gets new
 * PID, IPC and (unless allowed) network namespaces, its own session (no TIOCSTI into the agent's
 * terminal), no capabilities even when the agent runs as root, and it is killed with everything it
 * started when the agent dies (--die-with-parent; the PID namespace ends with its first process).
 */
import { existsSync } from "node:fs";
import { layered, type SandboxPlan } from "./plan.js";

/** Resolvers look here through /etc/resolv.conf on systemd machines; kept only when the network is allowed. */
const RESOLVER_DIR = "/run/systemd/resolve";

export interface BwrapHost {
  /** Whether a path exists on this machine: a tmpfs can only cover a folder bwrap can find or create. */
  exists(path: string): boolean;
}

const realHost: BwrapHost = { exists: existsSync };

/** The folders the sandbox starts empty. */
const FRESH = ["/tmp", "/run"];

/** Arguments for `bwrap`, ending with "--": the program's own argument vector follows. */
export function bwrapArgs(plan: SandboxPlan, host: BwrapHost = realHost): string[] {
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  if (host.exists("/run")) args.push("--tmpfs", "/run");
  // A program that lives in one of those fresh folders (a checkout under /tmp) is shown there again, read-only, alone.
  for (const program of plan.programs) if (FRESH.some((dir) => program.startsWith(`${dir}/`))) args.push("--ro-bind", program, program);
  if (plan.network && host.exists(RESOLVER_DIR)) args.push("--ro-bind", RESOLVER_DIR, RESOLVER_DIR);
  for (const { kind, path } of layered(plan)) {
    if (kind === "hide") args.push("--tmpfs", path);
    else args.push("--bind", path, path);
  }
  // A missing state directory has nothing to hide, and bwrap could not create a mount point on the read-only system.
  for (const dir of plan.excluded) if (host.exists(dir)) args.push("--tmpfs", dir);
  args.push("--unshare-pid", "--unshare-ipc");
  if (!plan.network) args.push("--unshare-net");
  args.push("--new-session", "--die-with-parent", "--cap-drop", "ALL", "--chdir", plan.cwd, "--");
  return args;
}

/** The arguments bwrap runs a trivial program with to show that it works on this machine. */
export const BWRAP_PROBE = [
  "--ro-bind",
  "/",
  "/",
  "--dev",
  "/dev",
  "--proc",
  "/proc",
  "--unshare-pid",
  "--unshare-net",
  "--die-with-parent",
  "--new-session",
  "--cap-drop",
  "ALL",
  "--",
  "true",
];
