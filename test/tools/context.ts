/** Shared helpers for the tool tests: a ToolContext over real temp folders and a real SQLite file. */
import Database from "better-sqlite3";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { DEFAULT_TOOL_LIMITS } from "../../node-agent/src/safety/tool-config.js";
import { ToolError, type Requester, type Tool, type ToolConfig, type ToolContext } from "../../node-agent/src/safety/tool.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh real folder (its real path, so comparisons survive a symlinked /tmp), removed after the test. */
export function tempDir(prefix = "ora-tools-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real SQLite file in a temp folder, closed after the test. */
export function tempDb(): Database.Database {
  const db = new Database(join(tempDir("ora-db-"), "ora.db"));
  cleanups.push(() => db.close());
  return db;
}

export const alice: Requester = { device: "dev-alice", role: "owner", user: "owner", via: "relay" };

export interface ContextOptions {
  roots?: string[];
  excluded?: string[];
  db?: Database.Database;
  requester?: Requester;
  signal?: AbortSignal;
  fetch?: Partial<ToolConfig["fetch"]>;
  run?: Partial<ToolConfig["run"]>;
}

export function toolContext(options: ContextOptions = {}): ToolContext {
  const config: ToolConfig = {
    roots: options.roots ?? [],
    excluded: options.excluded ?? [],
    fetch: { ...DEFAULT_TOOL_LIMITS.fetch, ...options.fetch },
    run: { ...DEFAULT_TOOL_LIMITS.run, ...options.run },
  };
  return {
    signal: options.signal ?? new AbortController().signal,
    requester: options.requester ?? alice,
    db: options.db ?? tempDb(),
    config,
  };
}

/** Calls a tool the way the enforcement point does: arguments through its schema first. */
export async function call(tool: Tool, args: unknown, context: ToolContext): Promise<any> {
  return tool.run(tool.args.parse(args), context);
}

/** Expects a ToolError with this code; returns it so the message can be checked too. */
export async function toolError(promise: Promise<unknown>, code: ToolError["code"]): Promise<ToolError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  expect((err as ToolError).code).toBe(code);
  return err as ToolError;
}
