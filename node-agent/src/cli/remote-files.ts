/**
 * `remote get` and `remote put`: files between this terminal and the PC's shared folders, in pieces
 * (protocol/src/transfer.ts) with a progress bar on stderr. A download is written to `<dest>.part`
 * beside a small `<dest>.part.json` (the file's version and how far it got); running the same command
 * again re-hashes the .part and goes on from there. An upload that stopped goes on by itself: the PC
 * keeps what arrived under the same file, size and SHA-256. Ctrl-C stops cleanly: a download keeps its
 * .part, an upload is cancelled on the PC.
 */
import { type DownloadOptions, type Downloaded, download, OraError, upload, type Uploaded } from "@ora/protocol";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { ProgressBar } from "../remote/progress.js";
import { reconnecting } from "../remote/reconnecting.js";
import { readJson, writePrivateJson } from "../state.js";
import type { CommandLine } from "./invocation.js";
import { explainCall, explainConnection } from "./remote-errors.js";

type Flags = Record<string, string | boolean | undefined>;

/** node:crypto's SHA-256: the transfer loop's default is portable but several times slower. */
const sha256 = () => createHash("sha256");

const PartFile = z.object({ root: z.union([z.string(), z.number()]).optional(), path: z.string(), version: z.string(), size: z.number(), offset: z.number() });
type PartFile = z.infer<typeof PartFile>;

function rootOf(flags: Flags): string | number | undefined {
  const root = flags.root;
  if (typeof root !== "string") return undefined;
  return /^\d+$/.test(root) ? Number(root) : root;
}

/** Ctrl-C aborts the transfer instead of killing the process, so that it ends cleanly. */
function interruptible(): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort(new OraError("cancelled", "stopped with Ctrl-C"));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    signal: controller.signal,
    done: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

export async function getFile(dir: string, cli: CommandLine, args: string[], flags: Flags): Promise<number> {
  const [path, destArg] = args;
  if (!path) throw new UserError(`which file? ${cli("remote get")} <path on the PC> [destination]`);
  const name = basename(path.replaceAll("\\", "/"));
  const dest = destArg === undefined ? name : existsSync(destArg) && statSync(destArg).isDirectory() ? join(destArg, name) : destArg;
  if (existsSync(dest) && flags.overwrite !== true) throw new UserError(`${dest} already exists (--overwrite replaces it)`);
  const part = `${dest}.part`;
  const sidecar = `${dest}.part.json`;
  const root = rootOf(flags);
  const link = reconnecting(dir);
  const stop = interruptible();
  const bar = new ProgressBar(name);
  let file: FileHandle | undefined;
  let state: PartFile | undefined;
  try {
    await link.connect().catch((error) => Promise.reject(explainConnection(error)));
    const previous = readJson(sidecar, PartFile);
    let resume: DownloadOptions["resume"];
    if (previous !== null && existsSync(part) && previous.path === path && previous.root === root) {
      file = await open(part, "r+");
      resume = await hashPart(file, previous.version);
      process.stderr.write(`ora-agent: going on from ${resume.offset} bytes already in ${part}\n`);
    } else {
      file = await open(part, "w");
    }
    const handle = file;
    const run = (from: DownloadOptions["resume"]) =>
      download(() => link.connect(), {
        ...(root === undefined ? {} : { root }),
        path,
        signal: stop.signal,
        hasher: sha256,
        ...(from ? { resume: from } : {}),
        onStart: ({ size, version }) => {
          // From here on a rerun can go on where this one stops.
          state = { ...(root === undefined ? {} : { root }), path, version, size, offset: from?.offset ?? 0 };
          writePrivateJson(sidecar, state);
        },
        onProgress: (done, total) => bar.update(done, total),
        write: async (bytes, offset) => {
          for (let written = 0; written < bytes.length; )
            written += (await handle.write(bytes, written, bytes.length - written, offset + written)).bytesWritten;
          if (state) state.offset = offset + bytes.length;
        },
      });
    let result: Downloaded;
    try {
      result = await run(resume);
    } catch (error) {
      if (!(resume && error instanceof OraError && error.code === "conflict")) throw error;
      // The file changed on the PC since the .part was written: those bytes belong to another content.
      bar.end();
      process.stderr.write("ora-agent: the file changed on the PC since the partial download; starting over\n");
      await handle.truncate(0);
      state = undefined;
      result = await run(undefined);
    }
    bar.end();
    await handle.close();
    file = undefined;
    await rename(part, dest);
    await rm(sidecar, { force: true });
    process.stdout.write(`${dest}: ${result.size} bytes, sha256 ${result.sha256}\n`);
    return 0;
  } catch (error) {
    bar.end();
    if (state) writePrivateJson(sidecar, state);
    if (stop.signal.aborted) {
      process.stderr.write(`ora-agent: stopped; ${part} keeps what arrived: run the same command again to go on\n`);
      return 130;
    }
    throw explainTransfer(error, "remote get");
  } finally {
    await file?.close();
    stop.done();
    link.close();
  }
}

/** The .part's bytes hashed again (what is on disk is what counts), to go on after them. */
async function hashPart(file: FileHandle, version: string): Promise<NonNullable<DownloadOptions["resume"]>> {
  const offset = (await file.stat()).size;
  const hasher = sha256();
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (let at = 0; at < offset; ) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, offset - at), at);
    if (bytesRead === 0) break;
    hasher.update(buffer.subarray(0, bytesRead));
    at += bytesRead;
  }
  return { offset, version, hasher };
}

export async function putFile(dir: string, cli: CommandLine, args: string[], flags: Flags): Promise<number> {
  const [local, destArg] = args;
  if (!local) throw new UserError(`which file? ${cli("remote put")} <file> [path on the PC]`);
  let file: FileHandle;
  try {
    file = await open(local, "r");
  } catch (error) {
    throw new UserError(`cannot read ${local} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const stat = await file.stat();
  if (!stat.isFile()) {
    await file.close();
    throw new UserError(`${local} is not a regular file`);
  }
  const path = destArg ?? basename(local);
  const root = rootOf(flags);
  const link = reconnecting(dir);
  const stop = interruptible();
  const hashing = new ProgressBar(`${basename(local)} (SHA-256)`);
  const bar = new ProgressBar(basename(local));
  try {
    await link.connect().catch((error) => Promise.reject(explainConnection(error)));
    const handle = file;
    const outcome: Uploaded = await upload(() => link.connect(), {
      ...(root === undefined ? {} : { root }),
      path,
      overwrite: flags.overwrite === true,
      signal: stop.signal,
      hasher: sha256,
      source: {
        size: stat.size,
        read: async (offset, length) => {
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buffer, 0, length, offset);
          return buffer.subarray(0, bytesRead);
        },
      },
      onHashing: (done, total) => hashing.update(done, total),
      onProgress: (done, total) => {
        hashing.end();
        bar.update(done, total);
      },
    });
    bar.end();
    if (outcome.status === "done") {
      const { file: placed } = outcome;
      process.stdout.write(`placed ${placed.root}/${placed.path}: ${placed.size} bytes, sha256 ${placed.sha256}\n`);
      return 0;
    }
    const { task } = outcome;
    process.stdout.write(
      `sent; placing it waits for the PC owner's approval (task ${task.id}, approval ${task.approval}).\n` +
        `On the PC: ora-agent approve ${task.approval} (or from an owner's device). See how it ends: ${cli("remote tasks")}\n`,
    );
    return 0;
  } catch (error) {
    hashing.end();
    bar.end();
    if (stop.signal.aborted) {
      process.stderr.write("ora-agent: stopped; the upload was cancelled on the PC and nothing was placed\n");
      return 130;
    }
    throw explainTransfer(error, "remote put");
  } finally {
    await file.close();
    stop.done();
    link.close();
  }
}

/** File transfer refusals in words that say what to do; anything else as `remote call` explains it. */
function explainTransfer(error: unknown, what: string): unknown {
  if (!(error instanceof OraError)) return error;
  const words: Partial<Record<OraError["code"], string>> = {
    conflict: what === "remote get" ? `the file changed on the PC while it was downloaded; run the command again (${error.message})` : `${error.message}`,
    checksum_mismatch: "the bytes that arrived do not have the file's SHA-256; nothing was kept, run the command again",
  };
  const word = words[error.code];
  return word === undefined ? explainCall(error, what) : new UserError(`${what}: ${word} [${error.code}]`, 3);
}
