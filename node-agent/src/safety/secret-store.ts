/**
 * Named secrets (the Node credential, the Discord bot token, …) and the file that can hold them.
 * secrets.ts picks the store (the OS keychain or this file, ORA_SECRETS) and reads from both; every
 * caller goes through it, so no secret is written anywhere else.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import { readNodeFile, readTextIfExists, writeNodeFile, writePrivateJson } from "../state.js";

/** Get, set and delete by name. Values are never logged, and never part of an error's message. */
export interface SecretStore {
  readonly kind: "keychain" | "file";
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** Nothing happens when there is no such secret. */
  delete(name: string): void;
  /** The names this store holds for its state directory. */
  names(): string[];
}

/** The Node credential's name; relay/node-credential.ts reads and writes it. */
export const NODE_CREDENTIAL_SECRET = "node.credential";

const SecretsFile = z.record(z.string(), z.string());
export const secretsPath = (stateDir: string) => join(stateDir, "secrets.json");

/**
 * Named secrets in `<stateDir>/secrets.json` (0600 in the 0700 state directory, written atomically).
 * The Node credential of an agent registered before the secret store existed is still in node.json:
 * this store reads it there, and moves it out of node.json when it is set or deleted.
 */
export class FileSecretStore implements SecretStore {
  readonly kind = "file";
  constructor(private readonly stateDir: string) {}

  get(name: string): string | undefined {
    return this.read()[name] ?? (name === NODE_CREDENTIAL_SECRET ? this.legacyCredential() : undefined);
  }

  set(name: string, value: string): void {
    this.write({ ...this.read(), [name]: value });
    if (name === NODE_CREDENTIAL_SECRET) this.dropLegacyCredential();
  }

  delete(name: string): void {
    const { [name]: gone, ...rest } = this.read();
    if (gone !== undefined) this.write(rest);
    if (name === NODE_CREDENTIAL_SECRET) this.dropLegacyCredential();
  }

  names(): string[] {
    const names = Object.keys(this.read());
    if (this.legacyCredential() !== undefined && !names.includes(NODE_CREDENTIAL_SECRET)) names.push(NODE_CREDENTIAL_SECRET);
    return names.sort();
  }

  private write(secrets: Record<string, string>): void {
    // No empty file left behind: after a move to the keychain, no secrets.json means no secret on disk.
    if (Object.keys(secrets).length === 0) rmSync(secretsPath(this.stateDir), { force: true });
    else writePrivateJson(secretsPath(this.stateDir), secrets);
  }

  private read(): Record<string, string> {
    const text = readTextIfExists(secretsPath(this.stateDir));
    if (text === null) return {};
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

  private legacyCredential(): string | undefined {
    return readNodeFile(this.stateDir)?.credential;
  }

  private dropLegacyCredential(): void {
    const node = readNodeFile(this.stateDir);
    if (node?.credential === undefined) return;
    const { credential: _moved, ...registration } = node;
    writeNodeFile(this.stateDir, registration);
  }
}
