/**
 * The secretary's built-in tools. They check their arguments and their own boundaries (shared roots,
 * public addresses, time and size limits); who may call them, and with whose approval, is decided by
 * the enforcement point before `run` is ever reached.
 */
import type { Tool } from "../safety/tool.js";
import { filesList, filesRead, filesWrite } from "./files.js";
import { webFetchTool } from "./fetch.js";
import { notesAdd, notesList, notesSearch } from "./notes.js";
import { runProgram } from "./run.js";
import { timeNowTool } from "./time.js";

export function builtinTools(): Tool[] {
  return [timeNowTool(), notesAdd, notesList, notesSearch, filesList, filesRead, filesWrite, webFetchTool(), runProgram];
}

export { toolConfigFromEnv } from "./config.js";
export { migrateNotes, NOTES_MIGRATIONS } from "./notes.js";
export { isPublicAddress } from "./address.js";
export { webFetchTool, type WebFetchOptions, type Resolver, type ResolvedAddress } from "./fetch.js";
export { timeNowTool } from "./time.js";
export { filesList, filesRead, filesWrite, READ_MAX_BYTES, WRITE_MAX_BYTES } from "./files.js";
export { notesAdd, notesList, notesSearch } from "./notes.js";
export { runProgram } from "./run.js";
