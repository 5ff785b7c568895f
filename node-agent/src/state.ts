/**
 * The agent's files in its profile's state directory. The directory is 0700 and the credential file
 * 0600: only the user who runs the agent can read the Node credential.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "./errors.js";

const NodeCredentialFile = z.object({
  relay: z.string(),
  nodeId: z.string(),
  credential: z.string(),
  registeredAt: z.string(),
});
export type NodeCredentialFile = z.infer<typeof NodeCredentialFile>;

export const AgentStatusFile = z.object({
  pid: z.number(),
  relay: z.string(),
  nodeId: z.string(),
  status: z.enum(["connecting", "connected", "waiting", "stopped"]),
  since: z.string(),
  detail: z.string().optional(),
  /** The running agent's own version (it can differ from the CLI's after an update, until a restart). */
  version: z.string().optional(),
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

export function readJson<T>(path: string, schema: z.ZodType<T>): T | null {
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

export const credentialPath = (dir: string) => join(dir, "node.json");
export const statusPath = (dir: string) => join(dir, "status.json");

export const readCredential = (dir: string) => readJson(credentialPath(dir), NodeCredentialFile);
export const writeCredential = (dir: string, value: NodeCredentialFile) => writePrivateJson(credentialPath(dir), value);
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
