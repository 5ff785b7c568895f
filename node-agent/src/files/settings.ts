/**
 * How large a file may travel between a device and this PC (ORA_FILES_MAX_BYTES, either way), and how
 * much one device may keep staged here at once: twice that, so a second upload can start while the
 * first waits for its approval. A download no piece was asked for during ORA_FILES_DOWNLOAD_IDLE_SEC
 * (30 s by default) counts as abandoned: its file is closed and the audit says so.
 */
import { DEFAULT_FILE_MAX_BYTES } from "@ora/protocol";
import { UserError } from "../errors.js";

/** A terabyte: past that a transfer in pieces of a few hundred KiB stops being a sensible way to move it. */
const MAX_SETTING = 2 ** 40;

export interface FileSettings {
  maxBytes: number;
  stagedBytesPerDevice: number;
  downloadIdleMs: number;
}

const DEFAULT_DOWNLOAD_IDLE_SEC = 30;

export function fileSettings(env: NodeJS.ProcessEnv): FileSettings {
  const maxBytes = wholeNumber(env, "ORA_FILES_MAX_BYTES", DEFAULT_FILE_MAX_BYTES, MAX_SETTING, `a whole number between 1 and ${MAX_SETTING}`);
  const idleSec = wholeNumber(env, "ORA_FILES_DOWNLOAD_IDLE_SEC", DEFAULT_DOWNLOAD_IDLE_SEC, 3600, "a whole number of seconds from 1 to 3600");
  return { maxBytes, stagedBytesPerDevice: 2 * maxBytes, downloadIdleMs: idleSec * 1000 };
}

/** The whole number from 1 to `max` in `name`, or `fallback` when it is unset; a UserError saying `rule` otherwise. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number, rule: string): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UserError(`${name} must be ${rule}`);
  return Number(raw);
}
