/**
 * Files between a client and its PC (methods/files.ts), for every client alike: the web app, the
 * terminal client and the tests. A transfer keeps a few piece requests in flight (enough to fill the
 * path, few enough that memory stays flat: at most `inFlight` pieces are held at once), hashes what
 * passes with SHA-256 as it goes, and rides over a dropped connection: when a piece fails because
 * the PC or the connection went away, it asks `connect` for a client again and goes on from the
 * last piece that arrived.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { type BackoffOptions, fullJitter } from "./backoff.js";
import { type OraClient, OraError } from "./client.js";
import { rawBytes } from "./crypto/plaintext.js";
import { FILE_PIECE_BYTES, type PlacedFile, type Task } from "./methods/index.js";

/**
 * An incremental SHA-256. @noble/hashes' runs everywhere (newHasher); it hashes some 25 MiB/s, so a
 * Node client passes node:crypto's (`() => createHash("sha256")`, many times faster) as `hasher`.
 */
export interface Hasher {
  update(bytes: Uint8Array): unknown;
  digest(): Uint8Array;
}
export const newHasher = () => sha256.create();

/** Gives the current client: the same one while it lives, a fresh one after the connection dropped. */
export type Connect = () => OraClient | Promise<OraClient>;

export interface TransferOptions {
  /** A shared folder by name or index; the PC's first one when left out. */
  root?: string | number;
  path: string;
  signal?: AbortSignal;
  /** Told after every piece, and once at the start. */
  onProgress?: (done: number, total: number) => void;
  pieceBytes?: number;
  /** Pieces requested ahead of the one being written (fewer when the relay's flow window is small). */
  inFlight?: number;
  /** Makes the SHA-256 the transfer checks with (newHasher when left out). */
  hasher?: () => Hasher;
  /** How often a piece is tried again after the connection went away before the transfer fails. */
  retries?: number;
}

export interface DownloadOptions extends TransferOptions {
  /** Takes the file's bytes in order; a returned promise holds further pieces back until it settles. */
  write: (bytes: Uint8Array, offset: number) => void | Promise<void>;
  /**
   * Go on with a download that stopped: the bytes up to `offset` are already written, of the file
   * `version`, and `hasher` has seen exactly them.
   */
  resume?: { offset: number; version: string; hasher: Hasher };
  /** Told once the first piece arrived: the file's name, size and version (what a later `resume` needs). */
  onStart?: (file: { name: string; size: number; version: string }) => void;
}

export interface Downloaded {
  name: string;
  size: number;
  version: string;
  sha256: string;
}

const RETRY_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 8000 };

/** Errors after which the same piece may be asked for again on a new connection. */
const TRANSIENT: ReadonlySet<string> = new Set(["node_offline", "timeout", "handshake_failed"]);

/** Downloads a file piece by piece; rejects with `checksum_mismatch` when the bytes are not the PC's file. */
export async function download(connect: Connect, options: DownloadOptions): Promise<Downloaded> {
  const pieceBytes = options.pieceBytes ?? FILE_PIECE_BYTES;
  const ask = retrying(connect, options);
  const inFlight = fitInFlight(await ask(async (client) => client), options.inFlight ?? 4, pieceBytes);
  const where = options.root === undefined ? { path: options.path } : { root: options.root, path: options.path };
  const hasher = options.resume?.hasher ?? (options.hasher ?? newHasher)();
  let offset = options.resume?.offset ?? 0;
  const first = await ask((client) =>
    client.request(
      "files.download",
      { ...where, offset, length: pieceBytes, ...(options.resume ? { version: options.resume.version } : {}) },
      { signal: options.signal },
    ),
  );
  const { name, size, version } = first;
  options.onStart?.({ name, size, version });
  options.onProgress?.(offset, size);
  // Later pieces are asked for ahead; each is written (and hashed) in order.
  const ahead: Promise<typeof first>[] = [];
  let next = offset + pieceBytes;
  const fill = () => {
    while (ahead.length < inFlight && next < size) {
      const at = next;
      const piece = ask((client) => client.request("files.download", { ...where, offset: at, length: pieceBytes, version }, { signal: options.signal }));
      piece.catch(() => undefined); // seen when its turn comes
      ahead.push(piece);
      next += pieceBytes;
    }
  };
  let piece = first;
  for (;;) {
    fill();
    if (piece.offset !== offset) throw new OraError("bad_answer", `asked for the piece at ${offset}, got ${piece.offset}`);
    const bytes = piece.data;
    hasher.update(bytes);
    await options.write(bytes, offset);
    offset += bytes.length;
    options.onProgress?.(offset, size);
    if (piece.eof || offset >= size) {
      const digest = bytesToHex(hasher.digest());
      if (piece.sha256 !== undefined && piece.sha256 !== digest)
        throw new OraError("checksum_mismatch", "the downloaded bytes do not match the file's SHA-256 on the PC");
      return { name, size, version, sha256: piece.sha256 ?? digest };
    }
    const following = ahead.shift();
    if (!following) throw new OraError("bad_answer", "the file ended before its size");
    piece = await following;
  }
}

/** Where an upload's bytes come from: a File in a browser, a file handle in Node. */
export interface UploadSource {
  size: number;
  read: (offset: number, length: number) => Promise<Uint8Array>;
}

export interface UploadOptions extends TransferOptions {
  source: UploadSource;
  /** The source's SHA-256, when already known; otherwise it is read once to compute it. */
  sha256?: string;
  overwrite?: boolean;
  /** Told while the source is read for its SHA-256 (before any byte is sent). */
  onHashing?: (done: number, total: number) => void;
}

export type Uploaded = { status: "done"; file: PlacedFile } | { status: "waiting"; task: Task };

/** SHA-256 of a source, read piece by piece. */
export async function hashSource(
  source: UploadSource,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
  create: () => Hasher = newHasher,
): Promise<string> {
  const hasher = create();
  for (let offset = 0; offset < source.size; ) {
    signal?.throwIfAborted();
    const bytes = await source.read(offset, Math.min(4 * FILE_PIECE_BYTES, source.size - offset));
    if (bytes.length === 0) throw new OraError("failed", "the file to send became shorter while it was read");
    hasher.update(bytes);
    offset += bytes.length;
    onProgress?.(offset, source.size);
  }
  return bytesToHex(hasher.digest());
}

/**
 * Sends a file; the PC checks the SHA-256 and places it (through an approval when its policy asks
 * for one: then the result is `waiting` with the task). A dropped connection resumes where the PC
 * says the upload stands; a cancelled one is deleted on the PC.
 */
export async function upload(connect: Connect, options: UploadOptions): Promise<Uploaded> {
  const { source, signal } = options;
  const sha = options.sha256 ?? (await hashSource(source, options.onHashing, signal, options.hasher));
  const ask = retrying(connect, options);
  const where = options.root === undefined ? { path: options.path } : { root: options.root, path: options.path };
  const begin = () =>
    ask((client) =>
      client.request("files.upload.begin", { ...where, size: source.size, sha256: sha, overwrite: options.overwrite ?? false }, signal ? { signal } : {}),
    );
  let started = await begin();
  const id = started.upload;
  const pieceBytes = Math.min(options.pieceBytes ?? FILE_PIECE_BYTES, started.pieceBytes);
  const inFlight = fitInFlight(await ask(async (client) => client), options.inFlight ?? 4, pieceBytes);
  const retries = options.retries ?? 5;
  try {
    let sent = started.received;
    options.onProgress?.(sent, source.size);
    // Failures in a row without a piece getting through: past `retries`, the upload gives up.
    let failures = 0;
    while (sent < source.size) {
      const window: Promise<{ received: number }>[] = [];
      try {
        // Pieces go out in order on one connection, and the PC applies them in that order; a piece
        // answered makes room for the next, so `inFlight` stay on the way without waiting for a batch.
        const client = await connect();
        let at = sent;
        const sendNext = async () => {
          const bytes = await source.read(at, Math.min(pieceBytes, source.size - at));
          if (bytes.length === 0) throw new OraError("failed", "the file to send became shorter while it was sent");
          const piece = client.request("files.upload.piece", { upload: id, offset: at, data: rawBytes(bytes) }, signal ? { signal } : {});
          piece.catch(() => undefined); // seen when its turn comes
          window.push(piece);
          at += bytes.length;
        };
        while (window.length < inFlight && at < source.size) await sendNext();
        while (window.length > 0) {
          sent = (await window.shift()!).received;
          failures = 0;
          options.onProgress?.(sent, source.size);
          if (at < source.size) await sendNext();
        }
      } catch (error) {
        await Promise.allSettled(window);
        if (signal?.aborted || !(error instanceof OraError) || !(TRANSIENT.has(error.code) || error.code === "conflict") || ++failures > retries) throw error;
        if (TRANSIENT.has(error.code)) await pause(failures - 1, signal);
        // Where does the PC stand? Asking again resumes the same upload.
        started = await begin();
        if (started.upload !== id) throw new OraError("failed", "the PC no longer has this upload");
        sent = started.received;
      }
    }
    return await ask((client) => client.request("files.upload.finish", { upload: id }, signal ? { signal } : {}));
  } catch (error) {
    if (signal?.aborted) {
      // The cancel itself must not be cut short by the signal that asked for it.
      const client = await connect();
      await client.request("files.upload.cancel", { upload: id }).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * As many pieces in flight as asked for, but no more than the relay lets through: their sealed
 * answers (a third larger as base64url, in text frames) must stay well inside the relay's flow window (it cuts a session whose unread bytes
 * pass it, and a busy client acknowledges late) and its pending requests per session.
 */
function fitInFlight(client: OraClient, asked: number, pieceBytes: number): number {
  const limits = client.welcome?.limits;
  if (!limits) return Math.max(1, asked);
  const sealed = Math.ceil((pieceBytes * 4) / 3) + 1024;
  return Math.max(1, Math.min(asked, Math.floor(limits.windowBytes / 2 / sealed), limits.maxPendingPerSession - 1));
}

/** Runs one request, asking for a fresh client and trying again when the connection went away. */
function retrying(connect: Connect, options: TransferOptions) {
  const retries = options.retries ?? 5;
  return async <T>(call: (client: OraClient) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        return await call(await connect());
      } catch (error) {
        if (attempt >= retries || options.signal?.aborted || !(error instanceof OraError) || !TRANSIENT.has(error.code)) throw error;
        await pause(attempt, options.signal);
      }
    }
  };
}

/**
 * Waits before trying again, a full-jitter delay (backoff.ts) up to 250 ms, then twice as long each
 * time, at most 8 s, so that transfers resuming after one relay restart do not all come back at
 * once; cut short by an abort.
 */
function pause(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, fullJitter(attempt, RETRY_BACKOFF));
    signal?.addEventListener("abort", done, { once: true });
  });
}
