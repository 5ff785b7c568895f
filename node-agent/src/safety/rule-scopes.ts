/**
 * What a standing rule covers, with exact semantics and no patterns typed by anyone:
 *
 *   path   file tools (files.read, files.list, files.write, files.upload): the call's real path, resolved as the
 *          tool resolves it (root, then segments with "." and empty ones dropped, ".." refused, then
 *          every symlink), lies at or below the rule's real folder, compared whole segment by whole
 *          segment ("notes" never covers "notes2/x").
 *   host   web.fetch: the URL's host as WHATWG URL parsing gives it (lower case, IDNA to punycode)
 *          and its port (none = the scheme's default) equal the rule's. No subdomain wildcards.
 *   args   any other tool: the canonical arguments' hash equals the rule's.
 *
 * Every matcher answers "no" to whatever it cannot resolve: a call it cannot place asks for an
 * approval, as it would without rules.
 */
import { realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { within } from "./tool-config.js";
import { ToolError, type ToolConfig } from "./tool.js";
import { pickRoot, splitRelative } from "../tools/paths.js";

export type ScopeKind = "path" | "host" | "args";

/** How a rule's scope is stored. `root` and `path` are real: `path` relative to `root`, "" for the whole folder. */
export type StoredScope = { kind: "path"; root: string; path: string } | { kind: "host"; host: string } | { kind: "args"; argsHash: string };

const PATH_TOOLS: ReadonlySet<string> = new Set(["files.read", "files.list", "files.write", "files.upload"]);
const HOST_TOOLS: ReadonlySet<string> = new Set(["web.fetch"]);

/** The kind of scope a rule for `tool` may have besides exact arguments. */
export function scopeKindOf(tool: string): ScopeKind {
  if (PATH_TOOLS.has(tool)) return "path";
  if (HOST_TOOLS.has(tool)) return "host";
  return "args";
}

/** A typed refusal of a scope someone asked for; the caller maps it to bad_params. */
export class ScopeError extends Error {
  override readonly name = "ScopeError";
}

/**
 * A host as a rule compares it: "example.com", "bücher.example" (stored as xn--bcher-kva.example),
 * "example.com:8443", "[::1]:80". Refuses anything else (schemes, paths, user names, wildcards).
 */
export function normaliseHost(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "" || /[/\\?#@*\s]/.test(trimmed)) throw new ScopeError(`"${text}" is not a host name (say example.com or example.com:8443)`);
  let url: URL;
  try {
    url = new URL(`http://${trimmed}/`);
  } catch {
    throw new ScopeError(`"${text}" is not a host name`);
  }
  return hostOf(url, "http:");
}

/** A URL's host and port as a rule compares it; undefined when it is not an http(s) URL. */
export function urlHost(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return hostOf(url, url.protocol);
}

const DEFAULT_PORT: Record<string, string> = { "http:": "80", "https:": "443" };

// The port is always written out when it is not the scheme's default, so "example.com" (default port)
// never covers example.com:8080. "http://example.com:443" has port 443 written out: it is not https.
function hostOf(url: URL, scheme: string): string {
  const port = url.port === "" || url.port === DEFAULT_PORT[scheme] ? "" : `:${url.port}`;
  return `${url.hostname}${port}`;
}

/**
 * The real absolute path a file tool's call would touch, or undefined when it cannot be resolved
 * inside a shared folder. A path that exists is resolved whole (a symlink at its end is followed); a
 * new file is its real parent folder plus its name, as files.write creates it.
 */
export async function realTarget(args: unknown, config: ToolConfig): Promise<string | undefined> {
  if (typeof args !== "object" || args === null) return undefined;
  const { root: ref, path } = args as { root?: unknown; path?: unknown };
  if (typeof path !== "string" || (ref !== undefined && typeof ref !== "number" && typeof ref !== "string")) return undefined;
  let root: string;
  let segments: string[];
  try {
    root = pickRoot(config.roots, ref);
    segments = splitRelative(path);
  } catch (error) {
    if (error instanceof ToolError) return undefined;
    throw error;
  }
  let real = await realpath(join(root, ...segments)).catch(() => undefined);
  if (real === undefined && segments.length > 0) {
    const parent = await realpath(join(root, ...segments.slice(0, -1))).catch(() => undefined);
    real = parent === undefined ? undefined : join(parent, segments.at(-1)!);
  }
  if (real === undefined || !within(real, root) || (config.excluded ?? []).some((dir) => within(real, dir))) return undefined;
  return real;
}

/**
 * Turns the folder someone chose (relative to the root the approval's call names) into a stored
 * scope: "notes/", "./notes//", "notes/sub/.." are refused or normalised exactly as the tool would;
 * the folder must exist, and its real path (after symlinks) must lie inside the root.
 */
export async function pathScope(folder: string, args: unknown, config: ToolConfig): Promise<StoredScope> {
  const ref = typeof args === "object" && args !== null ? (args as { root?: unknown }).root : undefined;
  let root: string;
  let segments: string[];
  try {
    root = pickRoot(config.roots, typeof ref === "number" || typeof ref === "string" ? ref : undefined);
    segments = splitRelative(folder);
  } catch (error) {
    if (error instanceof ToolError) throw new ScopeError(`the folder "${folder}": ${error.message}`);
    throw error;
  }
  const real = await realpath(join(root, ...segments)).catch(() => undefined);
  if (real === undefined) throw new ScopeError(`the folder "${folder}" does not exist`);
  if (!within(real, root) || (config.excluded ?? []).some((dir) => within(real, dir)))
    throw new ScopeError(`the folder "${folder}" leads outside the shared folder`);
  return { kind: "path", root, path: relative(root, real).split(sep).join("/") };
}

/** The real folder a path scope confines a call to. */
export function scopeFolder(scope: Extract<StoredScope, { kind: "path" }>): string {
  return join(scope.root, ...scope.path.split("/").filter(Boolean));
}

/** What a call offers to be matched against scopes: computed once per call, before any rule is read. */
export interface CallSubject {
  argsHash: string;
  /** The real path it would touch (file tools), if it resolves inside a shared folder. */
  target?: string;
  /** Host and port (web.fetch), if its URL parses as http(s). */
  host?: string;
}

export async function callSubject(tool: string, args: unknown, argsHash: string, config: ToolConfig): Promise<CallSubject> {
  const kind = scopeKindOf(tool);
  if (kind === "path") {
    const target = await realTarget(args, config);
    return target === undefined ? { argsHash } : { argsHash, target };
  }
  if (kind === "host") {
    const host = urlHost(typeof args === "object" && args !== null ? (args as { url?: unknown }).url : undefined);
    return host === undefined ? { argsHash } : { argsHash, host };
  }
  return { argsHash };
}

export function scopeMatches(scope: StoredScope, subject: CallSubject): boolean {
  switch (scope.kind) {
    case "args":
      return scope.argsHash === subject.argsHash;
    case "host":
      return subject.host !== undefined && subject.host === scope.host;
    case "path":
      return subject.target !== undefined && within(subject.target, scopeFolder(scope));
  }
}
