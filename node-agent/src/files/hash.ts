/** SHA-256 of a file read in slices from its open descriptor: memory stays the size of one slice. */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { ToolError } from "../safety/tool.js";

const SLICE = 1024 * 1024;

export async function hashFile(file: FileHandle, size: number): Promise<string> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(SLICE, size)));
  for (let at = 0; at < size; ) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - at), at);
    if (bytesRead === 0) throw new ToolError("conflict", "the file became shorter while it was read");
    hash.update(buffer.subarray(0, bytesRead));
    at += bytesRead;
  }
  return hash.digest("hex");
}

/** Copies `size` bytes from one descriptor to another, slice by slice. */
export async function copyFile(from: FileHandle, to: FileHandle, size: number): Promise<void> {
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(SLICE, size)));
  for (let at = 0; at < size; ) {
    const { bytesRead } = await from.read(buffer, 0, Math.min(buffer.length, size - at), at);
    if (bytesRead === 0) throw new ToolError("conflict", "the file became shorter while it was copied");
    for (let written = 0; written < bytesRead; ) written += (await to.write(buffer, written, bytesRead - written, at + written)).bytesWritten;
    at += bytesRead;
  }
}
