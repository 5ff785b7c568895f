/**
 * Where the file tools and `run.program` may go. A request names a root (its index in the config or
 * its folder name) and a path relative to it. The path is first checked as text (no "..", no absolute,
 * drive or UNC forms, no control characters), then its real path, after every symlink, must still lie
 * inside the root's real path. Error messages only ever show the path the requester typed.
 */
import { type BigIntStats, constants } from "node:fs";
import { type FileHandle, lstat, open, readlink, realpath } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { within } from "../safety/tool-config.js";
import { ToolError, type ToolConfig } from "../safety/tool.js";
import { hasControlChars } from "../text.js";

export const MAX_PATH_CHARS = 4096;

/** A root by position in ORA_TOOL_ROOTS or by its folder name; the first root when left out. */
export const RootRef = z.union([z.number().int().min(0).max(255), z.string().min(1).max(255)]).optional();
export const RelPath = z.string().max(MAX_PATH_CHARS);

/** The precheck of every tool that works in a shared folder: a call naming no usable root can only fail. */
export function rootExists({ root }: { root?: number | string }, config: ToolConfig): void {
  pickRoot(config.roots, root);
}

export function pickRoot(roots: readonly string[], ref: number | string | undefined): string {
  if (roots.length === 0) throw new ToolError("denied", "no folders are shared with the agent (set ORA_TOOL_ROOTS)");
  if (ref === undefined) return roots[0]!;
  if (typeof ref === "number") {
    const root = roots[ref];
    if (root === undefined) throw new ToolError("bad_args", `there is no root number ${ref}; there are ${roots.length}`);
    return root;
  }
  const named = roots.filter((root) => basename(root) === ref);
  if (named.length === 0) throw new ToolError("bad_args", `there is no root named "${ref}"`);
  if (named.length > 1) throw new ToolError("bad_args", `more than one root is named "${ref}": use its number`);
  return named[0]!;
}

// Windows resolves these names to devices in every folder (CON, NUL, COM1, …).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/**
 * Splits a relative path into plain segments, or refuses it. Both "/" and "\" separate segments on
 * every platform, so "..\x" is refused on Linux as it would be on Windows. "." and empty segments are
 * dropped; the empty path is the root itself. Percent escapes are not decoded: "%2e%2e" is a file name.
 */
export function splitRelative(path: string, platform: NodeJS.Platform = process.platform): string[] {
  if (hasControlChars(path)) throw new ToolError("bad_args", "the path contains control characters");
  if (/^[\\/]/.test(path)) throw new ToolError("bad_args", "the path must be relative to a root (no leading / or \\)");
  if (/^[A-Za-z]:/.test(path)) throw new ToolError("bad_args", "the path must be relative to a root (no drive letter)");
  const segments = path.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
  for (const segment of segments) {
    if (segment === "..") throw new ToolError("bad_args", 'the path may not contain ".."');
    if (platform === "win32") {
      // Win32 strips trailing dots and spaces (".. " means ".."), ":" opens alternate data streams.
      if (/[. ]$/.test(segment) || segment.includes(":") || WINDOWS_DEVICE.test(segment)) {
        throw new ToolError("bad_args", `"${segment}" is not a usable file name on Windows`);
      }
    }
  }
  return segments;
}

/** The real path of root/segments, which must exist and lie inside the root after symlinks. */
export async function realInside(config: ToolConfig, root: string, segments: readonly string[], shown: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
  } catch (err) {
    throw fsError(err, shown);
  }
  checkInside(config, real, root, shown);
  return real;
}

function checkInside(config: ToolConfig, real: string, root: string, shown: string): void {
  if (!within(real, root)) throw new ToolError("denied", `"${shown}" leads outside the shared folders`);
  if (config.confine !== undefined && !within(real, config.confine)) throw new ToolError("denied", `"${shown}" leads outside the folder its rule allows`);
  if ((config.excluded ?? []).some((dir) => within(real, dir))) throw new ToolError("denied", `"${shown}" is the agent's own state, which is never shared`);
}

/**
 * Closes the gap between the realpath check and the open: on Linux the kernel names the file an open
 * descriptor really refers to, so a folder swapped for a symlink in between is caught here.
 */
export async function assertOpenedInside(config: ToolConfig, fd: number, root: string, shown: string): Promise<void> {
  if (process.platform !== "linux") return;
  let real: string;
  try {
    real = await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return; // no /proc mounted: the realpath check stands alone
  }
  checkInside(config, real, root, shown);
}

/** Maps a filesystem error to a ToolError. Node's messages carry absolute paths, so none is passed on. */
export function fsError(err: unknown, shown: string): ToolError {
  if (err instanceof ToolError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new ToolError("not_found", `"${shown}" does not exist`);
    case "ELOOP":
      return new ToolError("denied", `"${shown}" is a symbolic link, which is not followed here`);
    case "EACCES":
    case "EPERM":
      return new ToolError("denied", `"${shown}" may not be accessed (permission denied)`);
    case "EEXIST":
      return new ToolError("bad_args", `"${shown}" already exists`);
    case "EISDIR":
      return new ToolError("bad_args", `"${shown}" is a folder`);
    case "ENOSPC":
    case "EDQUOT":
      return new ToolError("failed", "the disk is full");
    default:
      return new ToolError("failed", `"${shown}" could not be accessed${code ? ` (${code})` : ""}`);
  }
}

// Windows has no O_NOFOLLOW or O_NONBLOCK; there the lstat checks and realpath carry the weight.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// Opening a FIFO for reading blocks until a writer appears; non-blocking open returns at once.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * Opens a regular file inside `root` for reading, following symlinks only when their real target
 * stays inside. The caller closes it. `stat` is taken from the open descriptor (nanosecond times).
 */
export async function openReadable(config: ToolConfig, root: string, path: string): Promise<{ file: FileHandle; stat: BigIntStats; real: string }> {
  const real = await realInside(config, root, splitRelative(path), path);
  let file: FileHandle;
  try {
    // realpath resolved every link, so the final component must not be one now.
    file = await open(real, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    throw fsError(err, path);
  }
  try {
    const stat = await file.stat({ bigint: true });
    if (stat.isDirectory()) throw new ToolError("bad_args", `"${path}" is a folder`);
    if (!stat.isFile()) throw new ToolError("bad_args", `"${path}" is not a regular file`);
    await assertOpenedInside(config, file.fd, root, path);
    return { file, stat, real };
  } catch (err) {
    await file.close();
    throw fsError(err, path);
  }
}

export type WriteMode = "create" | "overwrite" | "append";

/** Where a new or replaced file would go: its parent's real path inside the root, and what is there now. */
export async function writeTarget(config: ToolConfig, root: string, path: string): Promise<{ target: string; existing: BigIntStats | undefined }> {
  const segments = splitRelative(path);
  const name = segments.at(-1);
  if (name === undefined) throw new ToolError("bad_args", "name a file to write, not the root");
  const parent = await realInside(config, root, segments.slice(0, -1), path);
  const target = join(parent, name);
  const existing = await lstat(target, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw fsError(err, path);
  });
  if (existing?.isSymbolicLink()) throw new ToolError("denied", `"${path}" is a symbolic link; refusing to write through it`);
  if (existing?.isDirectory()) throw new ToolError("bad_args", `"${path}" is a folder`);
  return { target, existing };
}

/**
 * Opens a file inside `root` for writing, never through a symlink or a hard link (either may point at
 * a file outside the root). `create` refuses a file that exists; `overwrite` empties it, only once
 * the checks on the opened descriptor have passed. The caller closes it.
 */
export async function openWritable(
  config: ToolConfig,
  root: string,
  path: string,
  mode: WriteMode,
  exists = () => new ToolError("bad_args", `"${path}" already exists: use mode overwrite or append`),
): Promise<{ file: FileHandle; created: boolean }> {
  const { target, existing } = await writeTarget(config, root, path);
  if (existing && mode === "create") throw exists();
  // No O_TRUNC: the file is only emptied after the checks on the opened descriptor have passed.
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    O_NOFOLLOW |
    O_NONBLOCK |
    (mode === "create" ? constants.O_EXCL : 0) |
    (mode === "append" ? constants.O_APPEND : 0);
  let file: FileHandle;
  try {
    file = await open(target, flags);
  } catch (err) {
    throw fsError(err, path);
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new ToolError("bad_args", `"${path}" is not a regular file`);
    // A hard link shares its contents with another name, which may lie outside the root.
    if (stat.nlink > 1) throw new ToolError("denied", `"${path}" has other hard links; refusing to write to it`);
    await assertOpenedInside(config, file.fd, root, path);
    if (mode === "overwrite") await file.truncate(0);
    return { file, created: existing === undefined };
  } catch (err) {
    await file.close();
    throw fsError(err, path);
  }
}
