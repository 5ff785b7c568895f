/**
 * What an installed service is, whatever the OS: which agent it runs (node, entry script, relay,
 * profile, state directory), for which user, and the shape every service manager (systemd, launchd,
 * Task Scheduler) fills in. The OS-specific files only turn this into their own format and commands.
 */
import { homedir, userInfo } from "node:os";
import type { Profile } from "../config.js";
import { UserError } from "../errors.js";
import type { Runner, Step } from "./runner.js";

export const SERVICE_OSES = ["linux", "macos", "windows"] as const;
export type ServiceOs = (typeof SERVICE_OSES)[number];

/** The user and places a service belongs to. */
export interface ServiceHost {
  os: ServiceOs;
  home: string;
  env: NodeJS.ProcessEnv;
  /** launchd addresses a user's agents by uid (gui/<uid>). */
  uid: number;
  /** loginctl's user name; on Windows DOMAIN\user, as Task Scheduler writes it. */
  user: string;
}

/** Enough to find, stop and remove a service. */
export interface ServiceId {
  host: ServiceHost;
  /** ora-agent for the private profile, ora-agent-shared for the shared one. */
  name: string;
}

/** Everything recorded at install time. */
export interface ServiceSpec extends ServiceId {
  profile: Profile;
  relay: string;
  stateDir: string;
  /** Absolute path of the Node binary (the one running this install, Node ≥ 22). */
  node: string;
  /** Absolute path of the agent's entry script (bin/ora-agent.js of the installed package). */
  script: string;
  /** The 0600 file of environment variables the service starts with, or null. */
  envFile: string | null;
  /** PATH as the installing user had it: tools and MCP servers find their programs with it. */
  path: string;
}

export interface ServiceState {
  enabled: string;
  active: string;
  running: boolean;
}

/** One service manager. Files are written and removed by the caller, between `before` and `after`. */
export interface ServiceTarget {
  /** What the OS calls it, for messages ("systemd user unit"). */
  kind: string;
  /** The definition file (for Task Scheduler: the copy of what it was given). */
  file(id: ServiceId): string;
  render(spec: ServiceSpec): string;
  /** Task Scheduler wants its XML in UTF-16. */
  encoding: "utf8" | "utf16le";
  /** The program arguments in an installed definition, or null when there are none to read. */
  recorded(text: string): string[] | null;
  install(id: ServiceId): { before: Step[]; after: Step[] };
  uninstall(id: ServiceId): { before: Step[]; after: Step[] };
  query(id: ServiceId, runner: Runner): ServiceState;
  /** How to read its logs (a command, or a file). */
  logs(id: ServiceId): string;
  /** A log file the OS writes into and whose directory must exist, when logs are not a journal. */
  logFile?(id: ServiceId): string;
  /** Keeping the service running after the user logs out, where the user can ask for it. */
  linger?: {
    check(host: ServiceHost, runner: Runner): boolean | null;
    enable(host: ServiceHost): Step;
    hint(host: ServiceHost): string;
  };
}

export const serviceName = (profile: Profile) => (profile === "private" ? "ora-agent" : `ora-agent-${profile}`);

export function serviceOs(platform: NodeJS.Platform | string): ServiceOs {
  if (platform === "linux") return "linux";
  if (platform === "darwin" || platform === "macos") return "macos";
  if (platform === "win32" || platform === "windows") return "windows";
  throw new UserError(`no service manager support for "${platform}": use linux, macos or windows, or keep "ora-agent start" running yourself`);
}

export function thisHost(os: ServiceOs, env: NodeJS.ProcessEnv = process.env): ServiceHost {
  const { username, uid } = userInfo();
  const user = os === "windows" ? `${env.USERDOMAIN ?? ""}${env.USERDOMAIN ? "\\" : ""}${env.USERNAME ?? username}` : username;
  return { os, home: homedir(), env, uid, user };
}

/** The command line the service runs; `nodeFlags` go before the script (launchd and Windows load the env file with them). */
export function programArgs(spec: ServiceSpec, nodeFlags: string[] = []): string[] {
  return [spec.node, ...nodeFlags, spec.script, "start", "--relay", spec.relay, "--profile", spec.profile, "--state-dir", spec.stateDir];
}

/** The value after `flag` in recorded program arguments. */
export function argAfter(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

export function nodeMajor(version: string): number {
  return Number(version.split(".")[0]);
}
