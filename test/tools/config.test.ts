import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../node-agent/src/cli/errors.js";
import { DEFAULT_TOOL_LIMITS, builtinTools, toolConfigFromEnv } from "../../node-agent/src/tools/index.js";
import { tempDir } from "./context.js";

describe("toolConfigFromEnv", () => {
  it("shares no folder by default and uses the default limits", () => {
    const config = toolConfigFromEnv({}, join(tempDir(), "state"));
    expect(config.roots).toEqual([]);
    expect(config.fetch).toEqual(DEFAULT_TOOL_LIMITS.fetch);
    expect(config.run).toEqual(DEFAULT_TOOL_LIMITS.run);
  });

  it("resolves roots to real paths, skipping empty entries and duplicates", () => {
    const a = tempDir();
    const b = tempDir();
    const link = join(tempDir(), "link-to-a");
    symlinkSync(a, link);
    const config = toolConfigFromEnv({ ORA_FILE_ROOTS: [a, "", link, b].join(delimiter) }, join(tempDir(), "state"));
    expect(config.roots).toEqual([a, b]);
  });

  it("refuses a root that is missing or is not a folder", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "");
    expect(() => toolConfigFromEnv({ ORA_FILE_ROOTS: join(dir, "missing") }, join(dir, "state"))).toThrow(UserError);
    expect(() => toolConfigFromEnv({ ORA_FILE_ROOTS: join(dir, "file") }, join(dir, "state"))).toThrow(/not a directory/);
  });

  it("refuses a root inside the state directory and excludes the state from a root around it", () => {
    const home = tempDir();
    const state = join(home, ".local", "share", "ora", "private");
    mkdirSync(join(state, "keys"), { recursive: true });
    expect(() => toolConfigFromEnv({ ORA_FILE_ROOTS: join(state, "keys") }, state)).toThrow(/state directory/);
    // Every profile of the default layout is excluded, not only this one.
    const config = toolConfigFromEnv({ ORA_FILE_ROOTS: home }, state);
    expect(config.roots).toEqual([home]);
    expect(config.excluded).toEqual([join(home, ".local", "share", "ora")]);
    // A custom state directory is excluded by itself, even before it exists.
    expect(toolConfigFromEnv({ ORA_FILE_ROOTS: home }, join(home, "my-ora")).excluded).toEqual([join(home, "my-ora")]);
  });

  it("reads limits and refuses values that are not whole numbers in range", () => {
    const state = join(tempDir(), "state");
    const config = toolConfigFromEnv({ ORA_FETCH_MAX_BYTES: "4096", ORA_FETCH_TIMEOUT_MS: "2500", ORA_FETCH_MAX_REDIRECTS: "0", ORA_RUN_TIMEOUT_MS: "1000", ORA_RUN_MAX_OUTPUT_BYTES: "512" }, state);
    expect(config.fetch).toEqual({ maxBytes: 4096, timeoutMs: 2500, maxRedirects: 0 });
    expect(config.run).toEqual({ timeoutMs: 1000, maxOutputBytes: 512 });
    for (const [name, value] of [["ORA_FETCH_MAX_BYTES", "0"], ["ORA_FETCH_TIMEOUT_MS", "1.5"], ["ORA_RUN_TIMEOUT_MS", "-1"], ["ORA_RUN_MAX_OUTPUT_BYTES", "lots"], ["ORA_FETCH_MAX_REDIRECTS", "21"]] as const) {
      expect(() => toolConfigFromEnv({ [name]: value }, state), name).toThrow(UserError);
    }
  });
});

describe("builtinTools", () => {
  it("declares every tool once, with its risk and guest visibility", () => {
    const tools = builtinTools();
    expect(Object.fromEntries(tools.map((t) => [t.name, [t.risk, t.guestVisible]]))).toEqual({
      "time.now": ["LOW", true],
      "notes.add": ["LOW", true],
      "notes.list": ["LOW", true],
      "notes.search": ["LOW", true],
      "files.list": ["MEDIUM", false],
      "files.read": ["MEDIUM", false],
      "files.write": ["HIGH", false],
      "web.fetch": ["MEDIUM", false],
      "run.program": ["CRITICAL", false],
    });
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    for (const tool of tools) expect(tool.description.length).toBeGreaterThan(10);
  });
});
