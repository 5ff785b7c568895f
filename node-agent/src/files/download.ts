/**
 * files.download: one piece of a file in the shared folders per request. The first piece opens the
 * file through the file tools' path checks (paths.ts); the pieces after it, which name the version
 * the first reported, read the same open file while the download goes on (it is closed after the
 * last piece, or once no piece came for a while, and then the audit says the download was
 * abandoned), so a link swapped in between two pieces cannot lead them anywhere else. Every piece is
 * still allowed afresh (a revoked device gets no further piece) and compares the file's version
 * (size, modification time in ns, inode) after reading: a file that changed meanwhile is refused with
 * `conflict` rather than stitched together from two contents. The last piece carries the whole
 * file's SHA-256, computed once per version and kept for a re-download.
 */
import { type FilePiece, type Params, rawBytes, type Requester } from "@ora/protocol";
import type { FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { HandlerError } from "../handlers.js";
import { asHandlerError } from "../methods/tools.js";
import { canonicalJson, type Safety, sha256Hex } from "../safety/index.js";
import { ToolError, type ToolConfig } from "../safety/tool.js";
import { openReadable, pickRoot } from "../tools/paths.js";
import { allowFileTool } from "./access.js";
import { hashFile } from "../tools/file-hash.js";

/** Whole-file digests kept for re-downloads: enough for a few files in flight, small either way. */
const HASHES_KEPT = 64;
/** Files held open between the pieces of downloads, at most. */
const HELD_MAX = 32;

interface Held {
  file: FileHandle;
  real: string;
  size: number;
  version: string;
  /** Pieces reading it now; it closes when none is and it is no longer held. */
  users: number;
  held: boolean;
  idle?: NodeJS.Timeout;
  /** How far the download got (the end of its furthest piece), and what the audit says if it stops there. */
  reached: number;
  abandoned: (reached: number) => void;
}

const versionOf = (stat: { size: bigint; mtimeNs: bigint; ino: bigint }) => `${stat.size}.${stat.mtimeNs}.${stat.ino}`;

export class Downloads {
  private readonly hashes = new Map<string, string>();
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly safety: Safety,
    private readonly config: ToolConfig,
    private readonly maxBytes: number,
    /** A held file no piece asked for in this long is closed, and its download audited as abandoned. */
    private readonly idleMs = 30_000,
  ) {}

  async piece(params: Params<"files.download">, requester: Requester): Promise<FilePiece> {
    const audit = (status: string, detail?: string) =>
      this.safety.audit.record({
        event: "files.download",
        who: requester,
        argsHash: sha256Hex(canonicalJson({ root: params.root ?? 0, path: params.path })),
        status,
        ...(detail ? { detail } : {}),
      });
    // Where a download starts (no version yet) and where it ends are audited, not every piece.
    const starting = params.version === undefined;
    try {
      allowFileTool(this.safety, requester, "files.read");
      const root = pickRoot(this.config.roots, params.root);
      const where = `${requester.device}\0${root}\0${params.path}`;
      const open = await this.acquire(where, params.version, root, params.path, (reached) => audit("abandoned", `after ${reached} bytes`));
      let done = false;
      try {
        const { file, size, version, real } = open;
        if (params.version !== undefined && params.version !== version)
          throw new HandlerError("conflict", `"${params.path}" changed since the download started`);
        if (size > this.maxBytes) throw new HandlerError("too_large", `"${params.path}" is ${size} bytes; at most ${this.maxBytes} may be downloaded`);
        if (params.offset > size) throw new HandlerError("bad_params", `offset ${params.offset} is past the end of the file (${size} bytes)`);
        const length = Math.min(params.length, size - params.offset);
        const bytes = Buffer.allocUnsafe(length);
        for (let filled = 0; filled < length; ) {
          const { bytesRead } = await file.read(bytes, filled, length - filled, params.offset + filled);
          if (bytesRead === 0) throw new HandlerError("conflict", `"${params.path}" became shorter while it was read`);
          filled += bytesRead;
        }
        const eof = params.offset + length >= size;
        const sha256 = eof ? await this.digest(file, `${real}\0${version}`, size) : undefined;
        // A write during the read leaves the size alone but not the modification time.
        if (versionOf(await file.stat({ bigint: true })) !== version) throw new HandlerError("conflict", `"${params.path}" changed while it was read`);
        if (starting) audit("started", `${size} bytes`);
        if (eof) audit("ok", `${size} bytes`);
        const piece: FilePiece = { name: basename(real), size, version, offset: params.offset, data: rawBytes(bytes), eof };
        if (sha256 !== undefined) piece.sha256 = sha256;
        open.reached = Math.max(open.reached, params.offset + length);
        done = eof;
        return piece;
      } catch (error) {
        done = true;
        throw error;
      } finally {
        this.release(where, open, done);
      }
    } catch (error) {
      const code = error instanceof HandlerError || error instanceof ToolError ? error.code : "failed";
      audit(code);
      throw asHandlerError(error);
    }
  }

  /**
   * The file a piece reads: the one held open for this device, path and version when there is one,
   * else opened through the path checks (and held for the pieces after it).
   */
  private async acquire(where: string, version: string | undefined, root: string, path: string, abandoned: Held["abandoned"]): Promise<Held> {
    const held = version === undefined ? undefined : this.held.get(`${where}\0${version}`);
    if (held) {
      clearTimeout(held.idle);
      held.users++;
      return held;
    }
    const { file, stat, real } = await openReadable(this.config, root, path);
    const opened: Held = { file, real, size: Number(stat.size), version: versionOf(stat), users: 1, held: false, reached: 0, abandoned };
    const key = `${where}\0${opened.version}`;
    if (!this.held.has(key) && this.held.size < HELD_MAX) {
      opened.held = true;
      this.held.set(key, opened);
    }
    return opened;
  }

  /** One piece is done with the file: closed once no piece reads it and it is let go (last piece, a failure, or idle). */
  private release(where: string, open: Held, letGo: boolean): void {
    open.users--;
    const key = `${where}\0${open.version}`;
    const drop = () => {
      if (this.held.get(key) === open) this.held.delete(key);
      open.held = false;
      if (open.users === 0) void open.file.close().catch(() => undefined);
    };
    if (!open.held || letGo) return drop();
    if (open.users === 0)
      open.idle = setTimeout(() => {
        drop();
        open.abandoned(open.reached);
      }, this.idleMs).unref();
  }

  private async digest(file: Parameters<typeof hashFile>[0], key: string, size: number): Promise<string> {
    const known = this.hashes.get(key);
    if (known !== undefined) return known;
    const sha = await hashFile(file, size);
    if (this.hashes.size >= HASHES_KEPT) this.hashes.delete(this.hashes.keys().next().value!);
    this.hashes.set(key, sha);
    return sha;
  }
}
