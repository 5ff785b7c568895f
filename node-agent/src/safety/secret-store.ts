/**
 * Where this profile's secrets live, and a file store for them. The Node credential is in node.json
 * and other secrets (provider API keys) in secrets.json, both 0600 in the 0700 state directory.
 *
 * An OS keychain is better where one is usable: macOS `security`, or on Linux `secret-tool` (libsecret)
 * with a D-Bus session to reach the Secret Service. This module detects one and says so, but keeps
 * secrets in the files until a keychain backend is written and tested on those systems.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { z } from "zod";
import { writePrivateJson } from "../state.js";

export interface SecretStorage {
  /** What `ora-agent status` prints. */
  where: "file (0600)";
  /** The files that hold secrets. */
  files: string[];
  /** An OS keychain this machine offers (not used yet), or null. */
  keychain: "macOS keychain" | "libsecret (Secret Service)" | null;
}

export interface Platform {
  os: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** True when an executable of that name is on PATH. */
  has(command: string): boolean;
}

export const thisPlatform = (env: NodeJS.ProcessEnv = process.env): Platform => ({ os: process.platform, env, has: (command) => onPath(command, env) });

export function detectKeychain(platform: Platform): SecretStorage["keychain"] {
  if (platform.os === "darwin" && platform.has("security")) return "macOS keychain";
  if (platform.os === "linux" && platform.has("secret-tool") && platform.env.DBUS_SESSION_BUS_ADDRESS) return "libsecret (Secret Service)";
  return null;
}

export function secretStorage(stateDir: string, platform: Platform = thisPlatform()): SecretStorage {
  return { where: "file (0600)", files: [join(stateDir, "node.json"), secretsPath(stateDir)], keychain: detectKeychain(platform) };
}

const SecretsFile = z.record(z.string(), z.string());
export const secretsPath = (stateDir: string) => join(stateDir, "secrets.json");

/** Named secrets in `<stateDir>/secrets.json` (0600, written atomically). Values are never logged. */
export class FileSecretStore {
  constructor(private readonly stateDir: string) {}

  get(name: string): string | undefined {
    return this.read()[name];
  }

  set(name: string, value: string): void {
    writePrivateJson(secretsPath(this.stateDir), { ...this.read(), [name]: value });
  }

  delete(name: string): void {
    const { [name]: _gone, ...rest } = this.read();
    writePrivateJson(secretsPath(this.stateDir), rest);
  }

  private read(): Record<string, string> {
    let text: string;
    try {
      text = readFileSync(secretsPath(this.stateDir), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // Not the SyntaxError itself: its message quotes the file, secrets included.
      raw = undefined;
    }
    const parsed = SecretsFile.safeParse(raw);
    if (!parsed.success) throw new Error(`${secretsPath(this.stateDir)} is not a secrets file this agent wrote`);
    return parsed.data;
  }
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
