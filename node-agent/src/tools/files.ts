/**
 * files.list, files.read and files.write: inside the shared roots only (see paths.ts). Symlinks are
 * followed for reading only when their real target stays inside the root; writing never goes through
 * a symlink or a hard link, since either may point at a file outside the root.
 */
import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ToolError, type Tool } from "../safety/tool.js";
import { RelPath, RootRef, fsError, openReadable, openWritable, pickRoot, realInside, rootExists, splitRelative } from "./paths.js";

export const READ_MAX_BYTES = 1024 * 1024;
export const WRITE_MAX_BYTES = 1024 * 1024;
export const LIST_MAX_ENTRIES = 1000;

const shownPath = (path: string) => (path === "" ? "." : path);

const ListArgs = z.object({
  root: RootRef,
  path: RelPath.default(""),
  limit: z.number().int().min(1).max(LIST_MAX_ENTRIES).default(200),
});

export const filesList: Tool<z.infer<typeof ListArgs>> = {
  name: "files.list",
  description: "List a folder inside the shared folders: names, kinds (file, dir, symlink, other) and sizes.",
  args: ListArgs,
  risk: "MEDIUM",
  // Guests reach these only when the owner allowlists them on the shared profile (and files.write,
  // being HIGH, still waits for the owner's approval every time).
  guestVisible: true,
  precheck: rootExists,
  async run({ root: ref, path, limit }, { config }) {
    const root = pickRoot(config.roots, ref);
    const shown = shownPath(path);
    const dir = await realInside(config, root, splitRelative(path), shown);
    const entries: { name: string; type: "file" | "dir" | "symlink" | "other"; size?: number }[] = [];
    let truncated = false;
    try {
      for await (const entry of await opendir(dir)) {
        if (entries.length === limit) {
          truncated = true;
          break;
        }
        // A symlink is reported as such and never followed: where it points is nobody's business here.
        const type = entry.isSymbolicLink() ? "symlink" : entry.isDirectory() ? "dir" : entry.isFile() ? "file" : "other";
        const size =
          type === "file"
            ? await lstat(join(dir, entry.name)).then(
                (s) => s.size,
                () => undefined,
              )
            : undefined;
        entries.push(size === undefined ? { name: entry.name, type } : { name: entry.name, type, size });
      }
    } catch (err) {
      throw fsError(err, shown);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { path: shown, entries, truncated };
  },
};

const ReadArgs = z.object({
  root: RootRef,
  path: RelPath.min(1),
  maxBytes: z.number().int().min(1).max(READ_MAX_BYTES).default(READ_MAX_BYTES),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
});

export const filesRead: Tool<z.infer<typeof ReadArgs>> = {
  name: "files.read",
  description: `Read a file inside the shared folders (at most ${READ_MAX_BYTES} bytes; longer files are truncated and say so).`,
  args: ReadArgs,
  risk: "MEDIUM",
  // Guests reach these only when the owner allowlists them on the shared profile (and files.write,
  // being HIGH, still waits for the owner's approval every time).
  guestVisible: true,
  precheck: rootExists,
  async run({ root: ref, path, maxBytes, encoding }, { config }) {
    const root = pickRoot(config.roots, ref);
    const { file, stat } = await openReadable(config, root, path);
    try {
      const size = Number(stat.size);
      const buffer = Buffer.alloc(Math.min(maxBytes, size));
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      const bytes = buffer.subarray(0, filled);
      return {
        path,
        size,
        bytes: filled,
        truncated: size > filled,
        encoding,
        content: encoding === "base64" ? bytes.toString("base64") : bytes.toString("utf8"),
      };
    } catch (err) {
      throw fsError(err, path);
    } finally {
      await file.close();
    }
  },
};

const WriteArgs = z.object({
  root: RootRef,
  path: RelPath.min(1),
  // Characters, not bytes: the byte limit is checked once the content is encoded.
  content: z.string().max(Math.ceil((WRITE_MAX_BYTES * 4) / 3) + 4),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
  /** create: only a new file; overwrite: replace or create; append: add to the end or create. */
  mode: z.enum(["create", "overwrite", "append"]).default("create"),
});

export const filesWrite: Tool<z.infer<typeof WriteArgs>> = {
  name: "files.write",
  description: `Write a file inside the shared folders (at most ${WRITE_MAX_BYTES} bytes). Mode create (default) refuses to replace a file; overwrite and append do not.`,
  args: WriteArgs,
  risk: "HIGH",
  // Guests reach these only when the owner allowlists them on the shared profile (and files.write,
  // being HIGH, still waits for the owner's approval every time).
  guestVisible: true,
  precheck: rootExists,
  async run({ root: ref, path, content, encoding, mode }, { config }) {
    const root = pickRoot(config.roots, ref);
    const data = decode(content, encoding);
    if (data.length > WRITE_MAX_BYTES) throw new ToolError("too_large", `the content is ${data.length} bytes; at most ${WRITE_MAX_BYTES} may be written`);
    const { file, created } = await openWritable(config, root, path, mode);
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await file.write(data, written, data.length - written, mode === "append" ? null : written);
        written += bytesWritten;
      }
      return { path, bytes: written, created };
    } catch (err) {
      throw fsError(err, path);
    } finally {
      await file.close();
    }
  },
};

function decode(content: string, encoding: "utf8" | "base64"): Buffer {
  if (encoding === "utf8") return Buffer.from(content, "utf8");
  // Buffer.from skips characters that are not base64; a typo must not silently write other bytes.
  if (content.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) throw new ToolError("bad_args", "the content is not valid base64");
  return Buffer.from(content, "base64");
}
