/**
 * Secrets in the OS keychain through @napi-rs/keyring: the Secret Service on Linux (GNOME Keyring,
 * KWallet, KeePassXC, reached over the D-Bus session bus), the macOS Keychain, the Windows Credential
 * Manager. Every entry is service "ora-agent", account "<absolute state directory>:<name>", so two
 * profiles or state directories on one PC never share a secret.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { Entry, EntryOptions } from "@napi-rs/keyring";
import { UserError } from "../errors.js";
import type { SecretStore } from "./secret-store.js";

export const KEYCHAIN_SERVICE = "ora-agent";
/**
 * On Linux the binding falls back to the kernel keyring when no Secret Service answers; that keyring
 * lives in memory and is gone after a reboot, with the Node credential in it. Pinned: no fallback.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: "secret-service" } };
/** A locked keychain can wait for a person to type a password; the agent does not wait that long. */
export const PROBE_TIMEOUT_MS = 5_000;

/** The native binding is loaded only where the keychain is used: every CLI command would pay for it otherwise. */
const requireHere = createRequire(import.meta.url);
const binding = () => requireHere("@napi-rs/keyring") as typeof import("@napi-rs/keyring");

/** "Secret Service", "macOS Keychain", "Windows Credential Manager": what this platform's keychain is called. */
export function keychainName(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "macOS Keychain";
  if (platform === "win32") return "Windows Credential Manager";
  return "Secret Service";
}

export class KeychainSecretStore implements SecretStore {
  readonly kind = "keychain";
  private readonly prefix: string;

  constructor(stateDir: string) {
    this.prefix = `${resolve(stateDir)}:`;
  }

  get(name: string): string | undefined {
    return this.attempt("read", name, (entry) => entry.getPassword() ?? undefined);
  }

  set(name: string, value: string): void {
    this.attempt("store", name, (entry) => entry.setPassword(value));
  }

  delete(name: string): void {
    this.attempt("delete", name, (entry) => entry.deletePassword());
  }

  names(): string[] {
    let accounts: string[];
    try {
      // The values come along; only the names leave this function.
      accounts = binding()
        .findCredentials(KEYCHAIN_SERVICE)
        .map((c) => c.account);
    } catch (error) {
      throw new UserError(`the OS keychain (${keychainName()}) cannot list this profile's secrets: ${reason(error)}`);
    }
    return accounts
      .filter((a) => a.startsWith(this.prefix))
      .map((a) => a.slice(this.prefix.length))
      .sort();
  }

  private attempt<T>(verb: string, name: string, act: (entry: Entry) => T): T {
    try {
      return act(new (binding().Entry)(KEYCHAIN_SERVICE, this.prefix + name, ENTRY_OPTIONS));
    } catch (error) {
      throw new UserError(`the OS keychain (${keychainName()}) could not ${verb} the secret ${name}: ${reason(error)}`);
    }
  }
}

export type KeychainProbe = { usable: true } | { usable: false; reason: string };

/**
 * Stores, reads back and deletes a random test entry, in a child process killed after `timeoutMs`:
 * a keychain that waits for an unlock prompt, or a D-Bus address where nothing answers, would
 * otherwise hold the agent (the binding's calls block, and an aborted promise leaves its thread waiting).
 */
export function probeKeychain(timeoutMs = PROBE_TIMEOUT_MS): KeychainProbe {
  // The binding's libdbus finds the session bus through this variable alone (its X11 autolaunch is compiled out).
  if (process.platform === "linux" && !process.env.DBUS_SESSION_BUS_ADDRESS)
    return { usable: false, reason: "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)" };
  const child = spawnSync(process.execPath, ["-e", PROBE_SCRIPT, requireHere.resolve("@napi-rs/keyring"), KEYCHAIN_SERVICE, JSON.stringify(ENTRY_OPTIONS)], {
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.error && (child.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
    return { usable: false, reason: `no answer within ${timeoutMs / 1000} s (locked, or waiting for a password prompt?)` };
  }
  if (child.status === 0 && child.stdout.trim() === "ok") return { usable: true };
  const said = (child.stderr || child.stdout || child.error?.message || `exit ${child.status ?? child.signal}`).trim().split("\n")[0]!;
  return { usable: false, reason: said.slice(0, 300) };
}

/** Run as `node -e PROBE_SCRIPT <binding> <service> <options>`; prints "ok" or why not on stderr. */
const PROBE_SCRIPT = `
const [binding, service, options] = process.argv.slice(1);
const { Entry } = require(binding);
const value = require("node:crypto").randomBytes(16).toString("hex");
try {
  const entry = new Entry(service, "probe:" + process.pid, JSON.parse(options));
  entry.setPassword(value);
  const back = entry.getPassword();
  entry.deletePassword();
  if (back !== value) throw new Error("the test entry did not read back");
  process.stdout.write("ok");
} catch (error) {
  process.stderr.write(String(error && error.message ? error.message : error));
  process.exitCode = 1;
}
`;

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
}
