/**
 * The files settings read from the environment (node-agent/src/files/settings.ts): sensible defaults,
 * and a clear refusal of a value that is not a whole number in range, naming the variable.
 */
import { describe, expect, it } from "vitest";
import { UserError } from "../../node-agent/src/errors.js";
import { fileSettings } from "../../node-agent/src/files/settings.js";

describe("files settings", () => {
  it("defaults to 100 MiB either way, twice that staged per device, and 30 s before a download counts as abandoned", () => {
    expect(fileSettings({})).toEqual({ maxBytes: 100 * 1024 * 1024, stagedBytesPerDevice: 200 * 1024 * 1024, downloadIdleMs: 30_000 });
    expect(fileSettings({ ORA_FILES_MAX_BYTES: "1000", ORA_FILES_DOWNLOAD_IDLE_SEC: "5" })).toEqual({
      maxBytes: 1000,
      stagedBytesPerDevice: 2000,
      downloadIdleMs: 5000,
    });
  });

  it("refuses what is not a whole number in range, naming the setting", () => {
    for (const value of ["0", "-1", "1.5", "ten", "2000000000000"]) {
      expect(() => fileSettings({ ORA_FILES_MAX_BYTES: value })).toThrow(UserError);
      expect(() => fileSettings({ ORA_FILES_MAX_BYTES: value })).toThrow(/ORA_FILES_MAX_BYTES/);
    }
    for (const value of ["0", "3601", "1.5", "soon"]) {
      expect(() => fileSettings({ ORA_FILES_DOWNLOAD_IDLE_SEC: value })).toThrow(
        /ORA_FILES_DOWNLOAD_IDLE_SEC must be a whole number of seconds from 1 to 3600/,
      );
    }
  });
});
