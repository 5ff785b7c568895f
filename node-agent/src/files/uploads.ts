/**
 * files.upload.begin / piece / finish / cancel: a device sends a file in pieces into the staging
 * area (staging.ts), and the whole file is placed through the enforcement point as the HIGH tool
 * `files.upload` (tools/upload.ts), with the approval writing a file needs. Begin refuses at once
 * whatever could only fail later: a device that may not write files, a file over the cap, a
 * destination outside the shared folders or one that exists, a device with too much staged already.
 * An upload placed at once (a standing rule let it) is remembered for a while, so that asking
 * `finish` again after its answer was lost gets the same answer rather than `not_found`.
 */
import { FILE_PIECE_BYTES, type Params, type PlacedFile, type Requester, type Result } from "@ora/protocol";
import { HandlerError } from "../handlers.js";
import { asHandlerError, callTool, describe, type ToolCallContext } from "../methods/tools.js";
import type { Safety } from "../safety/index.js";
import type { ToolConfig } from "../safety/tool.js";
import { pickRoot, writeTarget } from "../tools/paths.js";
import type { UploadArgs } from "../tools/upload.js";
import { allowFileTool } from "./access.js";
import type { FileSettings } from "./settings.js";
import type { Staging, StagedUpload } from "./staging.js";

const sameRequester = (a: Requester, b: Requester) => a.device === b.device && a.via === b.via && a.role === b.role && a.user === b.user;

/** How long, and how many, uploads placed at once are remembered for a repeated finish. */
const PLACED_KEPT_MS = 10 * 60_000;
const PLACED_KEPT = 256;

export class Uploads {
  private readonly placed = new Map<string, { requester: Requester; file: PlacedFile; at: number }>();

  constructor(
    private readonly safety: Safety,
    private readonly config: ToolConfig,
    private readonly settings: FileSettings,
    private readonly staging: Staging,
    private readonly now: () => number = Date.now,
  ) {}

  async begin(params: Params<"files.upload.begin">, requester: Requester): Promise<Result<"files.upload.begin">> {
    return guarded(async () => {
      allowFileTool(this.safety, requester, "files.write");
      const { maxBytes, stagedBytesPerDevice } = this.settings;
      if (params.size > maxBytes) throw new HandlerError("too_large", `the file is ${params.size} bytes; at most ${maxBytes} may be sent to this PC`);
      const root = pickRoot(this.config.roots, params.root);
      const { existing } = await writeTarget(this.config, root, params.path);
      if (existing && !params.overwrite) throw new HandlerError("conflict", `"${params.path}" already exists (send it with overwrite to replace it)`);
      const mine = this.staging.list().filter((upload) => sameRequester(upload.requester, requester));
      // The same file to the same place goes on where it stopped, under the same id.
      const same = mine.find((u) => u.task === undefined && u.root === root && u.path === params.path && u.size === params.size && u.sha256 === params.sha256);
      if (same) {
        if (same.overwrite !== params.overwrite) this.staging.save({ ...same, overwrite: params.overwrite });
        return { upload: same.id, received: this.staging.received(same.id), pieceBytes: FILE_PIECE_BYTES };
      }
      const staged = mine.reduce((sum, upload) => sum + upload.size, 0);
      if (staged + params.size > stagedBytesPerDevice)
        throw new HandlerError("too_large", `this device already has ${staged} bytes waiting on the PC; finish or cancel those uploads first`);
      const { device, role, user, via } = requester;
      const upload = this.staging.create({
        requester: { device, role, user, via },
        root,
        path: params.path,
        size: params.size,
        sha256: params.sha256,
        overwrite: params.overwrite,
      });
      this.audit(requester, upload, "begun");
      return { upload: upload.id, received: 0, pieceBytes: FILE_PIECE_BYTES };
    });
  }

  piece(params: Params<"files.upload.piece">, requester: Requester): Promise<Result<"files.upload.piece">> {
    return this.staging.serialize(params.upload, () =>
      guarded(async () => {
        const upload = this.own(params.upload, requester);
        if (upload.task !== undefined) throw new HandlerError("conflict", "this upload is finished and waits for its approval");
        const bytes = params.data;
        const received = this.staging.received(upload.id);
        if (params.offset !== received) throw new HandlerError("conflict", `the upload stands at ${received}, not ${params.offset}`);
        if (received + bytes.length > upload.size) throw new HandlerError("bad_params", `more bytes than the ${upload.size} announced`);
        await this.staging.append(upload.id, received, bytes);
        return { received: received + bytes.length };
      }),
    );
  }

  finish(params: Params<"files.upload.finish">, context: ToolCallContext): Promise<Result<"files.upload.finish">> {
    const { requester } = context;
    return this.staging.serialize(params.upload, () =>
      guarded(async () => {
        // Asked again after its answer was lost: the same answer.
        const placed = this.placedBefore(params.upload, requester);
        if (placed) return { status: "done" as const, file: placed };
        const upload = this.own(params.upload, requester);
        // Asked again after a dropped connection: the same task is still the answer.
        const waiting = upload.task === undefined ? undefined : this.safety.tasks.get(upload.task);
        if (waiting) return { status: "waiting" as const, task: waiting };
        const received = this.staging.received(upload.id);
        if (received !== upload.size) throw new HandlerError("conflict", `only ${received} of ${upload.size} bytes arrived`);
        const sha = await this.staging.digest(upload.id, upload.size);
        if (sha !== upload.sha256) {
          this.staging.remove(upload.id);
          this.audit(requester, upload, "checksum_mismatch");
          throw new HandlerError("checksum_mismatch", "the bytes that arrived do not have the SHA-256 announced; the upload was deleted");
        }
        const args: UploadArgs = { upload: upload.id, path: upload.path, size: upload.size, sha256: upload.sha256, overwrite: upload.overwrite };
        const ref = this.rootRef(upload.root);
        if (ref !== undefined) args.root = ref;
        const outcome = await callTool(this.safety, context, "files.upload", args, `file sent from ${describe(context)}`);
        if (outcome.status === "waiting") {
          this.staging.save({ ...upload, task: outcome.task.id });
          return { status: "waiting" as const, task: outcome.task };
        }
        const file = outcome.result as PlacedFile;
        this.remember(upload.id, requester, file);
        return { status: "done" as const, file };
      }),
    );
  }

  cancel(params: Params<"files.upload.cancel">, requester: Requester): Promise<Result<"files.upload.cancel">> {
    return this.staging.serialize(params.upload, () =>
      guarded(async () => {
        const upload = this.own(params.upload, requester);
        if (upload.task !== undefined) {
          try {
            this.safety.tasks.cancel(upload.task, requester, "upload cancelled");
          } catch {
            // Already decided or ended: the staged file goes either way.
          }
        }
        this.staging.remove(upload.id);
        this.audit(requester, upload, "cancelled");
        return { cancelled: true as const };
      }),
    );
  }

  private placedBefore(id: string, requester: Requester): PlacedFile | undefined {
    const placed = this.placed.get(id);
    return placed && sameRequester(placed.requester, requester) && this.now() - placed.at < PLACED_KEPT_MS ? placed.file : undefined;
  }

  private remember(id: string, requester: Requester, file: PlacedFile): void {
    const now = this.now();
    for (const [key, entry] of this.placed) if (now - entry.at >= PLACED_KEPT_MS || this.placed.size >= PLACED_KEPT) this.placed.delete(key);
    this.placed.set(id, { requester, file, at: now });
  }

  private own(id: string, requester: Requester): StagedUpload {
    const upload = this.staging.get(id);
    if (!upload || !sameRequester(upload.requester, requester)) throw new HandlerError("not_found", "no such upload (finished, cancelled or expired)");
    return upload;
  }

  /** The root as the tool takes it: its index, which names it exactly even when two roots share a folder name. */
  private rootRef(root: string): number | undefined {
    const index = this.config.roots.indexOf(root);
    return index <= 0 ? undefined : index;
  }

  private audit(requester: Requester, upload: StagedUpload, status: string): void {
    this.safety.audit.record({ event: "files.upload", who: requester, status, detail: `${upload.id}, ${upload.size} bytes` });
  }
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asHandlerError(error);
  }
}
