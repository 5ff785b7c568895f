/**
 * How large a file may travel between a device and this PC (ORA_FILES_MAX_BYTES, either way), and how
 * much one device may keep staged here at once: twice that, so a second upload can start while the
 * first waits for its approval.
 */
import { DEFAULT_FILE_MAX_BYTES } from "@ora/protocol";
import { UserError } from "../errors.js";

/** A terabyte: past that a transfer in pieces of a few hundred KiB stops being a sensible way to move it. */
const MAX_SETTING = 2 ** 40;

export interface FileSettings {
  maxBytes: number;
  stagedBytesPerDevice: number;
}

export function fileSettings(env: NodeJS.ProcessEnv): FileSettings {
  const raw = env.ORA_FILES_MAX_BYTES;
  let maxBytes = DEFAULT_FILE_MAX_BYTES;
  if (raw !== undefined && raw !== "") {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_SETTING)
      throw new UserError(`ORA_FILES_MAX_BYTES must be a whole number between 1 and ${MAX_SETTING}`);
    maxBytes = Number(raw);
  }
  return { maxBytes, stagedBytesPerDevice: 2 * maxBytes };
}
