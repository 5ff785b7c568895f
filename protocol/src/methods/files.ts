/**
 * Files between a device and its PC, in pieces: a download reads a file of the PC's shared folders
 * at offsets, an upload stages pieces on the PC and places the whole file into a shared folder once
 * its SHA-256 matches. Each piece is one request, so a transfer is paced by its reader (never more
 * than the requests it keeps in flight), survives a dropped connection (go on from the last offset),
 * and holds at most a few pieces in memory at either end. protocol/src/transfer.ts drives both
 * directions for clients.
 */
import * as z from "zod/mini";
import { RawBytes } from "../crypto/plaintext.js";
import { EVERYONE, method } from "./define.js";
import { Task } from "./tasks.js";

/** The largest piece one request carries: sealed (even as base64url in a text frame), it stays under the relay's 1 MiB frames. */
export const FILE_PIECE_MAX_BYTES = 384 * 1024;
/** What clients ask for by default. */
export const FILE_PIECE_BYTES = 256 * 1024;
/** The PC's default largest file either way (ORA_FILES_MAX_BYTES changes it). */
export const DEFAULT_FILE_MAX_BYTES = 100 * 1024 * 1024;

const Sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
/**
 * One piece's bytes. They travel raw after the sealed message's JSON (crypto/plaintext.ts): a sender
 * passes them as `rawBytes(bytes)`, a receiver gets them as RawBytes too.
 */
const PieceData = z.custom<RawBytes>((value) => value instanceof RawBytes && value.length <= FILE_PIECE_MAX_BYTES, {
  error: `bytes, at most ${FILE_PIECE_MAX_BYTES}`,
});
const Offset = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));
const Size = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));
/** A shared folder (its name or index, as the file tools take it) and a path inside it. */
const Where = {
  root: z.optional(z.union([z.string().check(z.maxLength(200)), z.number().check(z.int(), z.gte(0))])),
  path: z.string().check(z.minLength(1), z.maxLength(4096)),
};
/** Which content a download reads: its size and modification time, as the PC saw them at the start. */
const Version = z.string().check(z.maxLength(100));
export const UploadId = z.string().check(z.regex(/^up_[A-Za-z0-9_-]{8,64}$/));

export const FilePiece = z.object({
  /** The file's name (last path segment), for saving it under the same name. */
  name: z.string(),
  size: Size,
  version: Version,
  offset: Offset,
  data: PieceData,
  /** This piece reaches the end of the file. */
  eof: z.boolean(),
  /** The whole file's SHA-256, with the last piece. */
  sha256: z.optional(Sha256),
});
export type FilePiece = z.infer<typeof FilePiece>;

export const PlacedFile = z.object({ root: z.string(), path: z.string(), size: Size, sha256: Sha256 });
export type PlacedFile = z.infer<typeof PlacedFile>;

export const fileMethods = {
  "files.download": method({
    description:
      "One piece of a file in the shared folders: `length` bytes from `offset` (raw bytes after the sealed JSON). Pass the `version` of the first piece with the others: a file that changed meanwhile is refused with `conflict`. The last piece carries the file's SHA-256.",
    roles: EVERYONE,
    params: z.object({
      ...Where,
      offset: z._default(Offset, 0),
      length: z._default(z.number().check(z.int(), z.gte(1), z.lte(FILE_PIECE_MAX_BYTES)), FILE_PIECE_BYTES),
      version: z.optional(Version),
    }),
    result: FilePiece,
  }),
  "files.upload.begin": method({
    description:
      "Starts (or resumes) sending a file of `size` bytes and this SHA-256 to `path` in a shared folder; `received` says where to go on from. Refused at once when this device may not write files.",
    roles: EVERYONE,
    params: z.object({ ...Where, size: Size, sha256: Sha256, overwrite: z._default(z.boolean(), false) }),
    result: z.object({ upload: UploadId, received: Size, pieceBytes: z.number().check(z.int()) }),
  }),
  "files.upload.piece": method({
    description: "Adds one piece at `offset`, which must be where the upload stands (`conflict` otherwise).",
    roles: EVERYONE,
    params: z.object({ upload: UploadId, offset: Offset, data: PieceData }),
    result: z.object({ received: Size }),
  }),
  "files.upload.finish": method({
    description:
      "Checks the SHA-256 of what arrived and places the file, through the same approval as writing a file: `done` with where it went, or `waiting` with the task that places it once approved.",
    roles: EVERYONE,
    params: z.object({ upload: UploadId }),
    result: z.discriminatedUnion("status", [z.object({ status: z.literal("done"), file: PlacedFile }), z.object({ status: z.literal("waiting"), task: Task })]),
  }),
  "files.upload.cancel": method({
    description: "Stops an upload and deletes what arrived of it.",
    roles: EVERYONE,
    params: z.object({ upload: UploadId }),
    result: z.object({ cancelled: z.literal(true) }),
  }),
};
