/**
 * files.download: one piece of a file in the shared folders per request. Each piece opens the file
 * afresh through the file tools' path checks (paths.ts), so a symlink swapped in between two pieces
 * is caught like any other, and compares the file's version (size, modification time in ns, inode)
 * with the one the first piece reported: a file that changed meanwhile is refused with `conflict`
 * rather than stitched together from two contents. The last piece carries the whole file's SHA-256,
 * computed once per version and kept for a re-download.
 */
import { type FilePiece, type Params, rawBytes, type Requester } from "@ora/protocol";
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

export class Downloads {
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly safety: Safety,
    private readonly config: ToolConfig,
    private readonly maxBytes: number,
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
      const { file, stat, real } = await openReadable(this.config, root, params.path);
      try {
        const size = Number(stat.size);
        const version = `${stat.size}.${stat.mtimeNs}.${stat.ino}`;
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
        const after = await file.stat({ bigint: true });
        if (`${after.size}.${after.mtimeNs}.${after.ino}` !== version) throw new HandlerError("conflict", `"${params.path}" changed while it was read`);
        if (starting) audit("started", `${size} bytes`);
        if (eof) audit("ok", `${size} bytes`);
        const piece: FilePiece = { name: basename(real), size, version, offset: params.offset, data: rawBytes(bytes), eof };
        if (sha256 !== undefined) piece.sha256 = sha256;
        return piece;
      } finally {
        await file.close();
      }
    } catch (error) {
      const code = error instanceof HandlerError || error instanceof ToolError ? error.code : "failed";
      audit(code);
      throw asHandlerError(error);
    }
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
