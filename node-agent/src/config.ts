/**
 * Where the agent keeps its state and which relay it talks to. Flags win over environment variables,
 * which win over defaults. Each profile (private, shared) has a state directory of its own.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "./errors.js";

export const PROFILES = ["private", "shared"] as const;
export type Profile = (typeof PROFILES)[number];

export const DEFAULT_RELAY = "http://127.0.0.1:8787";

export interface AgentConfig {
  relay: string;
  profile: Profile;
  stateDir: string;
}

export interface ConfigFlags {
  relay?: string;
  profile?: string;
  "state-dir"?: string;
}

export function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  // An empty variable (ORA_STATE_DIR=) counts as unset, as the shell user meant.
  const profile = flags.profile ?? (env.ORA_PROFILE || "private");
  if (!PROFILES.includes(profile as Profile)) throw new UserError(`unknown profile "${profile}": use private or shared`);
  const relay = flags.relay ?? (env.ORA_RELAY_URL || DEFAULT_RELAY);
  let url: URL;
  try {
    url = new URL(relay);
  } catch {
    throw new UserError(`the relay URL "${relay}" is not a URL (example: https://relay.example.com)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UserError("the relay URL must start with https:// (or http:// for a local relay)");
  if (url.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
    throw new UserError("plain http is only allowed for a relay on this machine; use https://");
  }
  const stateDir = flags["state-dir"] ?? (env.ORA_STATE_DIR || join(dataHome(env), "ora", profile));
  return { relay: url.origin, profile: profile as Profile, stateDir };
}

export function dataHome(env: NodeJS.ProcessEnv): string {
  if (process.platform === "win32") return env.APPDATA ?? join(homedir(), "AppData", "Roaming");
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support");
  return env.XDG_DATA_HOME ?? join(homedir(), ".local", "share");
}
