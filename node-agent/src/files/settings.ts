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
  const raw = env.ORA_FILES_MAX_BYTES;
  let maxBytes = DEFAULT_FILE_MAX_BYTES;
  if (raw !== undefined && raw !== "") {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_SETTING)
      throw new UserError(`ORA_FILES_MAX_BYTES must be a whole number between 1 and ${MAX_SETTING}`);
    maxBytes = Number(raw);
  }
  const idle = env.ORA_FILES_DOWNLOAD_IDLE_SEC;
  let idleSec = DEFAULT_DOWNLOAD_IDLE_SEC;
  if (idle !== undefined && idle !== "") {
    if (!/^\d+$/.test(idle) || Number(idle) < 1 || Number(idle) > 3600)
      throw new UserError("ORA_FILES_DOWNLOAD_IDLE_SEC must be a whole number of seconds from 1 to 3600");
    idleSec = Number(idle);
  }
  return { maxBytes, stagedBytesPerDevice: 2 * maxBytes, downloadIdleMs: idleSec * 1000 };
}
