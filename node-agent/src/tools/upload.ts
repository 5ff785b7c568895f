/**
 * files.upload: places a file a device sent (staged on this PC, its SHA-256 already checked when
 * the upload finished) into the shared folders. It writes exactly as files.write does (paths.ts:
 * never through a symlink or a hard link) and needs the same approval: HIGH, and for a guest the
 * owner's allowlisting of files.write. Its arguments name the upload, where it goes, its size and
 * SHA-256, so the approval shows what will be placed; the staged bytes are hashed again before they
 * are copied, so what lands is what was approved.
 */
import type { FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { z } from "zod";
import { copyFile, hashFile } from "../files/hash.js";
import { ToolError, type Requester, type Tool } from "../safety/tool.js";
import { RelPath, RootRef, fsError, openWritable, pickRoot, rootExists } from "./paths.js";

/** What the tool needs of the staging area (files/staging.ts). */
export interface StagedFiles {
  get(id: string): { requester: Requester; root: string; path: string; size: number; sha256: string; overwrite: boolean } | undefined;
  openPart(id: string): Promise<FileHandle>;
  remove(id: string): void;
}

const UploadArgs = z.object({
  upload: z.string().regex(/^up_[A-Za-z0-9_-]{8,64}$/),
  root: RootRef,
  path: RelPath.min(1),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  overwrite: z.boolean().default(false),
});
export type UploadArgs = z.infer<typeof UploadArgs>;

export function fileUploadTool(staged: StagedFiles): Tool<UploadArgs> {
  return {
    name: "files.upload",
    description: "Place a file sent from a paired device (staged on this PC, SHA-256 checked) into the shared folders.",
    args: UploadArgs,
    risk: "HIGH",
    guestVisible: true,
    allowlistedAs: "files.write",
    precheck: rootExists,
    async run(args, { config, requester }) {
      const upload = staged.get(args.upload);
      // Only the device that sent it may place it: an upload id is no capability on its own.
      if (!upload || upload.requester.device !== requester.device || upload.requester.via !== requester.via)
        throw new ToolError("not_found", "this upload is no longer on the PC (cancelled, placed, or expired)");
      const root = pickRoot(config.roots, args.root);
      if (
        upload.root !== root ||
        upload.path !== args.path ||
        upload.size !== args.size ||
        upload.sha256 !== args.sha256 ||
        upload.overwrite !== args.overwrite
      )
        throw new ToolError("bad_args", "the arguments do not describe this upload");
      const part = await staged.openPart(args.upload);
      try {
        if ((await hashFile(part, args.size)) !== args.sha256 || (await part.stat()).size !== args.size)
          throw new ToolError("failed", "the staged file no longer has the SHA-256 it arrived with");
        const { file } = await openWritable(
          config,
          root,
          args.path,
          args.overwrite ? "overwrite" : "create",
          () => new ToolError("conflict", `"${args.path}" already exists`),
        );
        try {
          await copyFile(part, file, args.size);
        } catch (err) {
          throw fsError(err, args.path);
        } finally {
          await file.close();
        }
      } finally {
        await part.close();
      }
      staged.remove(args.upload);
      return { root: basename(root), path: args.path, size: args.size, sha256: args.sha256 };
    },
  };
}
