/**
 * The secretary's built-in tools. They check their arguments and their own boundaries (shared roots,
 * public addresses, time and size limits); who may call them, and with whose approval, is decided by
 * the enforcement point before `run` is ever reached.
 */
import type { Tool } from "../safety/tool.js";
import { filesList, filesRead, filesWrite } from "./files.js";
import { webFetchTool } from "./fetch.js";
import { notesAdd, notesList, notesSearch } from "./notes.js";
import { runProgramTool } from "./run.js";
import { detectSandbox, type Sandbox } from "./sandbox/index.js";
import { timeNowTool } from "./time.js";

/** `sandbox` confines run.program; by default the one this PC offers (ORA_SANDBOX=off turns it off). */
export function builtinTools(options: { sandbox?: Sandbox } = {}): Tool[] {
  const sandbox = options.sandbox ?? detectSandbox(process.env);
  return [timeNowTool(), notesAdd, notesList, notesSearch, filesList, filesRead, filesWrite, webFetchTool(), runProgramTool(sandbox)];
}

export { toolConfigFromEnv } from "./config.js";
export { migrateNotes, NOTES_MIGRATIONS } from "./notes.js";
export { isPublicAddress } from "./address.js";
export { webFetchTool, type WebFetchOptions, type Resolver, type ResolvedAddress } from "./fetch.js";
export { timeNowTool } from "./time.js";
export { filesList, filesRead, filesWrite, READ_MAX_BYTES, WRITE_MAX_BYTES } from "./files.js";
export { notesAdd, notesList, notesSearch } from "./notes.js";
export { runProgramTool } from "./run.js";
export { detectSandbox, type Sandbox } from "./sandbox/index.js";
