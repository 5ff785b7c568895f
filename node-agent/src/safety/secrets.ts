/**
 * Where this profile's secrets go, and where they are read from. ORA_SECRETS picks the store:
 * `keychain` (the OS keychain, or refuse to store), `file` (secrets.json, 0600) or `auto` (the
 * default: the keychain when a probe shows it usable, else the file). Reading looks in the chosen
 * store, then in the other one, so an agent upgraded from files, or switched between stores, keeps
 * its secrets; storing writes the chosen store and removes the other store's copy.
 */
import { UserError } from "../errors.js";
import { type KeychainProbe, KeychainSecretStore, keychainName, probeKeychain } from "./keychain-store.js";
import { FileSecretStore, type SecretStore, secretsPath } from "./secret-store.js";

export type SecretsMode = "keychain" | "file" | "auto";
const MODES: readonly SecretsMode[] = ["keychain", "file", "auto"];

export function secretsMode(env: NodeJS.ProcessEnv): SecretsMode {
  const value = (env.ORA_SECRETS ?? "").trim().toLowerCase() || "auto";
  if (!MODES.includes(value as SecretsMode)) throw new UserError(`ORA_SECRETS is "${env.ORA_SECRETS}": use keychain, file or auto`);
  return value as SecretsMode;
}

/** What `status`, `doctor` and `secrets` say. */
export interface SecretsReport {
  mode: SecretsMode;
  /** The store new secrets go to. */
  store: "keychain" | "file";
  /** "OS keychain (Secret Service)" or "file (0600)". */
  where: string;
  file: string;
  keychain: { name: string; usable: boolean; reason?: string };
}

export const FILE_WHERE = "file (0600)";
export const keychainWhere = () => `OS keychain (${keychainName()})`;

/** One process asks the keychain once: the binding reaches it through this process's environment, which stays. */
let probed: KeychainProbe | undefined;
export function keychainProbe(): KeychainProbe {
  probed ??= probeKeychain();
  return probed;
}

export class Secrets {
  readonly mode: SecretsMode;
  readonly file: FileSecretStore;

  constructor(
    readonly stateDir: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.mode = secretsMode(env);
    this.file = new FileSecretStore(stateDir);
  }

  /** The keychain store when the keychain is usable, else null (asks the keychain the first time). */
  keychain(): KeychainSecretStore | null {
    return keychainProbe().usable ? new KeychainSecretStore(this.stateDir) : null;
  }

  /** The store new secrets go to; null when ORA_SECRETS=keychain and the keychain is not usable. */
  chosen(): SecretStore | null {
    if (this.mode === "file") return this.file;
    return this.keychain() ?? (this.mode === "auto" ? this.file : null);
  }

  get(name: string): string | undefined {
    for (const store of this.readable()) {
      const value = store.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  set(name: string, value: string): void {
    const target = this.chosen();
    if (!target) throw this.unusable();
    target.set(name, value);
    for (const other of this.readable()) if (other.kind !== target.kind) other.delete(name);
  }

  delete(name: string): void {
    for (const store of this.readable()) store.delete(name);
  }

  report(): SecretsReport {
    const probe = keychainProbe();
    const store = this.mode === "file" || (this.mode === "auto" && !probe.usable) ? "file" : "keychain";
    return {
      mode: this.mode,
      store,
      where: store === "file" ? FILE_WHERE : keychainWhere(),
      file: secretsPath(this.stateDir),
      keychain: { name: keychainName(), usable: probe.usable, ...(probe.usable ? {} : { reason: probe.reason }) },
    };
  }

  /** Where a secret stored now goes, for a person: "the OS keychain (…)" or "<path> (readable only by you)". */
  location(): string {
    return this.chosen()?.kind === "file" ? `${secretsPath(this.stateDir)} (readable only by you)` : `the ${keychainWhere()}`;
  }

  /** The UserError for storing with ORA_SECRETS=keychain when the keychain is not usable. */
  unusable(): UserError {
    const probe = keychainProbe();
    const why = probe.usable ? "" : `: ${probe.reason}`;
    return new UserError(`ORA_SECRETS=keychain, but the ${keychainWhere()} is not usable${why}. Unlock it, or set ORA_SECRETS=file (or auto)`);
  }

  /**
   * The chosen store first, then the other one when it is usable (the file always is). Lazy: with
   * ORA_SECRETS=file the keychain is asked only when the file lacks a name, or on a change.
   */
  private *readable(): Generator<SecretStore> {
    const chosen = this.chosen();
    if (chosen) yield chosen;
    if (chosen?.kind !== "file") yield this.file;
    if (chosen?.kind !== "keychain") {
      const keychain = this.keychain();
      if (keychain) yield keychain;
    }
  }
}

/** The secrets of the profile in `stateDir`, stored where ORA_SECRETS says. */
export const openSecrets = (stateDir: string, env: NodeJS.ProcessEnv = process.env) => new Secrets(stateDir, env);
