/**
 * What an update leaves in the profile's state directory, under updates/: the tarballs it verified
 * (the new version's and the one it replaced), the database backup taken before the new version
 * could migrate anything, and last-update.json, which `ora-agent update --rollback` follows back.
 */
import { join } from "node:path";
import { AgentVersion } from "@ora/protocol";
import { z } from "zod";
import { ensureStateDir, readJson, writePrivateJson } from "../state.js";

export const updatesDir = (stateDir: string) => join(stateDir, "updates");
export const tarballPath = (stateDir: string, version: string) => join(updatesDir(stateDir), `ora-agent-${version}.tgz`);
/** The database as the agent of `version` left it. */
export const backupPath = (stateDir: string, version: string) => join(updatesDir(stateDir), `ora-${version}.db`);
export const recordPath = (stateDir: string) => join(updatesDir(stateDir), "last-update.json");
export const rolledBackPath = (stateDir: string) => join(updatesDir(stateDir), "last-rollback.json");

const Installed = z.object({
  version: AgentVersion,
  /** The verified tarball kept on disk, or null when the manifest did not list this version. */
  tarball: z.string().nullable(),
  integrity: z.string().nullable(),
});

export const UpdateRecord = z.object({
  at: z.string(),
  from: Installed,
  to: Installed,
  /** The database backup taken before installing `to`, or null when the profile had no database yet. */
  backup: z.string().nullable(),
});
export type UpdateRecord = z.infer<typeof UpdateRecord>;

export const readUpdateRecord = (stateDir: string) => readJson(recordPath(stateDir), UpdateRecord);
export const writeUpdateRecord = (stateDir: string, record: UpdateRecord) => writePrivateJson(recordPath(stateDir), record);

export function ensureUpdatesDir(stateDir: string): string {
  ensureStateDir(stateDir);
  ensureStateDir(updatesDir(stateDir));
  return updatesDir(stateDir);
}
