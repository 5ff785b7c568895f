import Database from "better-sqlite3";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../node-agent/src/errors.js";
import { migrate } from "../../node-agent/src/safety/db.js";
import { DEFAULT_TOOL_LIMITS } from "../../node-agent/src/safety/tool-config.js";
import { NOTES_MIGRATIONS, builtinTools, filesList, filesRead, notesAdd, toolConfigFromEnv } from "../../node-agent/src/tools/index.js";
import { call, tempDir, toolContext, toolError } from "./context.js";

/** A home folder of its own, with the default state layout <home>/.local/share/ora/<profile>. */
function home() {
  const dir = tempDir("ora-home-");
  const env = { XDG_DATA_HOME: join(dir, ".local", "share") };
  const state = join(env.XDG_DATA_HOME, "ora", "private");
  mkdirSync(state, { recursive: true });
  return { dir, env, state };
}

describe("toolConfigFromEnv", () => {
  it("shares no folder by default and uses the default limits", () => {
    const { env, state } = home();
    const config = toolConfigFromEnv(env, state);
    expect(config.roots).toEqual([]);
    expect(config.fetch).toEqual(DEFAULT_TOOL_LIMITS.fetch);
    expect(config.run).toEqual(DEFAULT_TOOL_LIMITS.run);
  });

  it("resolves roots to real paths and skips empty entries", () => {
    const { env, state } = home();
    const a = tempDir();
    const b = tempDir();
    const link = join(tempDir(), "link-to-b");
    symlinkSync(b, link);
    expect(toolConfigFromEnv({ ...env, ORA_TOOL_ROOTS: [a, "", link].join(delimiter) }, state).roots).toEqual([a, b]);
  });

  it("refuses a root that is missing or relative", () => {
    const { env, state } = home();
    expect(() => toolConfigFromEnv({ ...env, ORA_TOOL_ROOTS: join(tempDir(), "missing") }, state)).toThrow(UserError);
    expect(() => toolConfigFromEnv({ ...env, ORA_TOOL_ROOTS: "relative/dir" }, state)).toThrow(UserError);
  });

  it("refuses a root inside the state, and keeps the state out of reach from a root around it", async () => {
    const { dir, env, state } = home();
    expect(() => toolConfigFromEnv({ ...env, ORA_TOOL_ROOTS: state }, state)).toThrow(/state directory/);
    writeFileSync(join(state, "device.key"), "KEY");
    mkdirSync(join(dir, "Documents"));
    const config = toolConfigFromEnv({ ...env, ORA_TOOL_ROOTS: dir }, state);
    expect(config.roots).toEqual([dir]);
    const ctx = toolContext({ roots: config.roots, excluded: config.excluded });
    await toolError(call(filesRead, { path: ".local/share/ora/private/device.key" }, ctx), "denied");
    // The other profile's state is out of reach too.
    await toolError(call(filesList, { path: ".local/share/ora" }, ctx), "denied");
    expect((await call(filesList, {}, ctx)).entries.map((e: { name: string }) => e.name)).toContain("Documents");
  });

  it("reads limits and refuses values that are not whole numbers in range", () => {
    const { env, state } = home();
    const limits = {
      ORA_FETCH_MAX_BYTES: "4096",
      ORA_FETCH_TIMEOUT_MS: "2500",
      ORA_FETCH_MAX_REDIRECTS: "0",
      ORA_RUN_TIMEOUT_MS: "1000",
      ORA_RUN_MAX_OUTPUT_BYTES: "512",
    };
    const config = toolConfigFromEnv({ ...env, ...limits }, state);
    expect(config.fetch).toEqual({ maxBytes: 4096, timeoutMs: 2500, maxRedirects: 0 });
    expect(config.run).toEqual({ timeoutMs: 1000, maxOutputBytes: 512 });
    for (const [name, value] of [
      ["ORA_FETCH_MAX_BYTES", "0"],
      ["ORA_FETCH_TIMEOUT_MS", "1.5"],
      ["ORA_RUN_TIMEOUT_MS", "-1"],
      ["ORA_RUN_MAX_OUTPUT_BYTES", "lots"],
      ["ORA_FETCH_MAX_REDIRECTS", "21"],
    ] as const) {
      expect(() => toolConfigFromEnv({ ...env, [name]: value }, state), name).toThrow(UserError);
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
      "files.list": ["MEDIUM", true],
      "files.read": ["MEDIUM", true],
      "files.write": ["HIGH", true],
      "web.fetch": ["MEDIUM", true],
      "run.program": ["CRITICAL", false],
    });
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    for (const tool of tools) expect(tool.description.length).toBeGreaterThan(10);
  });

  it("declares the notes schema once, and it migrates through the versioned migrations", async () => {
    const modules = builtinTools().flatMap((t) => (t.migrations ? [t.migrations] : []));
    expect(modules).toEqual([NOTES_MIGRATIONS]);
    const db = new Database(join(tempDir(), "ora.db"));
    try {
      migrate(db, modules);
      migrate(db, modules);
      expect(db.prepare("SELECT module, version FROM schema_migrations").all()).toEqual([{ module: "notes", version: 1 }]);
      await call(notesAdd, { text: "migrated" }, toolContext({ db }));
    } finally {
      db.close();
    }
  });
});
