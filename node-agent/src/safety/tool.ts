/**
 * What a tool is. Every tool declares its name, what it does, a zod schema for its arguments, a risk
 * level, and whether a guest may ever see it. Tools run only through the enforcement point (policy.ts).
 */
import type { Requester, Risk } from "@ora/protocol";
import type Database from "better-sqlite3";
import type { z } from "zod";
import type { ModuleMigrations } from "./db.js";

export { RISKS, type Requester, type Risk } from "@ora/protocol";

/** Where tools may read and write, and how far they may go. */
export interface ToolConfig {
  /** Absolute, real paths the file tools and `run` may work inside. Empty: file tools refuse everything. */
  roots: string[];
  /**
   * Absolute, real paths inside the roots that file tools and `run` must refuse: the state directories
   * of every profile (databases, credentials, the control socket). Filled by toolConfigFor().
   */
  excluded?: string[];
  /**
   * An absolute, real folder this one call must stay inside: set when a standing rule with a folder
   * scope let it run (rules.ts), so a symlink swapped in after the rule matched cannot lead it out.
   */
  confine?: string;
  fetch: { maxBytes: number; timeoutMs: number; maxRedirects: number };
  run: { timeoutMs: number; maxOutputBytes: number };
}

export interface ToolContext {
  signal: AbortSignal;
  requester: Requester;
  /** The profile's database (WAL). Tools create their own tables through migrations in safety/db.ts. */
  db: Database.Database;
  config: ToolConfig;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every argument type; each validates its own
export interface Tool<A = any> {
  name: string;
  description: string;
  args: z.ZodType<A>;
  /**
   * The arguments' JSON Schema, offered to models instead of one derived from `args`. For tools whose
   * schema comes from elsewhere (an MCP server); `args` still checks every call.
   */
  jsonSchema?: unknown;
  risk: Risk;
  /** False: a guest never sees or calls it, whatever the allowlist says. */
  guestVisible: boolean;
  /**
   * The allowlist entry (ORA_SHARED_GUEST_ALLOWED_TOOLS) that lets a guest use it, when it is another
   * tool's: placing an uploaded file is writing a file, so it rides on `files.write`.
   */
  allowlistedAs?: string;
  /** Tables this tool keeps in the profile's database (see db.ts); createSafety applies them on open. */
  migrations?: ModuleMigrations;
  /**
   * Throws a ToolError when a call can only fail with this configuration (say, no folder is shared):
   * checked before an approval is asked for, so that nobody approves a call that cannot run.
   */
  precheck?(args: A, config: ToolConfig): void;
  run(args: A, context: ToolContext): Promise<unknown> | unknown;
}

export const TOOL_ERROR_CODES = ["bad_args", "denied", "not_found", "failed", "too_large", "timeout", "rate_limited", "locked_down", "conflict"] as const;
export type ToolErrorCode = (typeof TOOL_ERROR_CODES)[number];

/** A refusal or failure whose message is safe to show the requester. */
export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ToolError";
  }
}
