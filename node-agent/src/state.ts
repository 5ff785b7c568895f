/**
 * The agent's files in its profile's state directory. The directory is 0700 and every file 0600. The
 * Node credential itself is a secret (safety/secrets.ts): node.json keeps only the registration.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// zod/mini, as the protocol: `status` reads these files and loads no second schema library for them.
import * as z from "zod/mini";
import { UserError } from "./errors.js";

/** node.json: this PC's registration. `credential` is there only in files written before it moved to the secret store. */
export const NodeFile = z.object({
  relay: z.string(),
  nodeId: z.string(),
  credential: z.optional(z.string()),
  registeredAt: z.string(),
});
export type NodeFile = z.infer<typeof NodeFile>;
/** The registration with its credential, wherever the credential is stored (relay/node-credential.ts). */
export type NodeCredentialFile = Omit<NodeFile, "credential"> & { credential: string };

export const AgentStatusFile = z.object({
  pid: z.number(),
  relay: z.string(),
  nodeId: z.string(),
  status: z.enum(["connecting", "connected", "waiting", "stopped"]),
  since: z.string(),
  detail: z.optional(z.string()),
  /** The running agent's own version (it can differ from the CLI's after an update, until a restart). */
  version: z.optional(z.string()),
});
export type AgentStatusFile = z.infer<typeof AgentStatusFile>;

export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes atomically (temp file + rename) with owner-only permissions. */
export function writePrivateFile(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function writePrivateJson(path: string, value: unknown): void {
  writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A file's text, or null when there is no such file (any other failure is thrown). */
export function readTextIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** What readJson checks a file with: any schema of zod or zod/mini. */
export interface FileSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false };
}

export function readJson<T>(path: string, schema: FileSchema<T>): T | null {
  const text = readTextIfExists(path);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not valid JSON; move it away to start fresh`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${path} is not a file this agent wrote; move it away to start fresh`);
  return parsed.data;
}

export const nodeFilePath = (dir: string) => join(dir, "node.json");
export const statusPath = (dir: string) => join(dir, "status.json");

/** The registration (relay, nodeId), without looking for the credential; null when this PC is not registered. */
export const readNodeFile = (dir: string) => readJson(nodeFilePath(dir), NodeFile);
export const writeNodeFile = (dir: string, value: NodeFile) => writePrivateJson(nodeFilePath(dir), value);
export const readStatus = (dir: string) => readJson(statusPath(dir), AgentStatusFile);
export const writeStatus = (dir: string, value: AgentStatusFile) => writePrivateJson(statusPath(dir), value);

/** Whether the process that wrote a status file is still there (EPERM: it is, but another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running agent's status, or null when no agent of this profile is running. */
export function runningAgent(dir: string): AgentStatusFile | null {
  const status = readStatus(dir);
  return status !== null && status.status !== "stopped" && processAlive(status.pid) ? status : null;
}
