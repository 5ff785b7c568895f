/**
 * Which sandbox this PC offers run.program and opted-in MCP servers: bubblewrap on Linux (found on
 * PATH and shown to work with a trivial run, since a kernel without unprivileged user namespaces makes
 * an installed bwrap useless), sandbox-exec on macOS, nothing on Windows. ORA_SANDBOX=off turns it off
 * knowingly; the tool's description and `ora-agent doctor` then say that programs run unconfined.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { UserError } from "../../errors.js";
import { BWRAP_PROBE } from "./bwrap.js";
import { SANDBOX_EXEC } from "./macos.js";

export type Sandbox =
  | { kind: "bubblewrap"; path: string }
  | { kind: "sandbox-exec"; path: string }
  /** `off`: the owner turned it off with ORA_SANDBOX=off; otherwise none is available. */
  | { kind: "none"; off: boolean; reason: string; fix: string };

const PROBE_TIMEOUT_MS = 10_000;
const APT_FIX = "install bubblewrap (sudo apt install bubblewrap; sudo dnf install bubblewrap on Fedora), then restart the agent";

const cache = new Map<string, Sandbox>();

export function detectSandbox(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Sandbox {
  const key = `${platform}\0${env.ORA_SANDBOX ?? ""}\0${env.PATH ?? ""}`;
  let found = cache.get(key);
  if (!found) {
    found = detect(env, platform);
    cache.set(key, found);
  }
  return found;
}

function detect(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Sandbox {
  const setting = (env.ORA_SANDBOX ?? "").trim().toLowerCase();
  if (setting === "off")
    return {
      kind: "none",
      off: true,
      reason: "the sandbox is turned off (ORA_SANDBOX=off)",
      fix: "unset ORA_SANDBOX and restart the agent to run programs in a sandbox",
    };
  if (setting !== "" && setting !== "on") throw new UserError(`ORA_SANDBOX must be "on" or "off", not "${env.ORA_SANDBOX}"`);
  if (platform === "linux") return linux(env);
  if (platform === "darwin") {
    if (executable(SANDBOX_EXEC)) return { kind: "sandbox-exec", path: SANDBOX_EXEC };
    return { kind: "none", off: false, reason: `${SANDBOX_EXEC} is missing`, fix: "reinstall macOS's command line tools, or run only programs you trust" };
  }
  if (platform === "win32")
    return {
      kind: "none",
      off: false,
      reason: "Windows has no program sandbox ORA can use",
      fix: "run only programs you trust, or run the agent in WSL with bubblewrap installed",
    };
  return { kind: "none", off: false, reason: `no program sandbox is supported on ${platform}`, fix: "run only programs you trust" };
}

function linux(env: NodeJS.ProcessEnv): Sandbox {
  const path = findProgram("bwrap", env.PATH);
  if (!path) return { kind: "none", off: false, reason: "bubblewrap (bwrap) is not installed", fix: APT_FIX };
  const probe = spawnSync(path, BWRAP_PROBE, { env: { PATH: env.PATH ?? "/usr/bin:/bin" }, stdio: ["ignore", "ignore", "pipe"], timeout: PROBE_TIMEOUT_MS });
  if (probe.status === 0) return { kind: "bubblewrap", path };
  const said = probe.stderr?.toString("utf8").trim().split("\n")[0]?.slice(0, 200) || probe.error?.message || `exit ${probe.status}`;
  return {
    kind: "none",
    off: false,
    reason: `bwrap cannot create a sandbox here (${said})`,
    fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 an AppArmor profile for bwrap), or install bwrap setuid",
  };
}

/** The first executable file called `name` on PATH, as a shell would find it; a name with a slash is taken as is. */
export function findProgram(name: string, path: string | undefined, cwd = process.cwd()): string | undefined {
  if (name.includes("/")) {
    const full = isAbsolute(name) ? name : join(cwd, name);
    return executable(full) ? full : undefined;
  }
  for (const dir of (path ?? "").split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const full = join(dir, name);
    if (executable(full)) return full;
  }
  return undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
