/**
 * Uploads on their way into the shared folders, staged in the state directory: `uploads/<id>.part`
 * holds the bytes that arrived (its length is where the upload stands, so a crash mid-piece loses
 * nothing that was written) and `uploads/<id>.json` what the upload is for, written atomically.
 * Both are 0600 in a 0700 folder. A staged upload lives until it is placed or cancelled, until the
 * task that places it ends, or for a day after its last piece; stale ones are removed at start and by
 * a timer set for the next one due (no polling). Pieces arrive strictly in order, so each one also
 * goes into a running SHA-256 of its upload: `finish` checks the whole file without reading it again
 * (after a restart, which loses that state, it reads the part).
 */
import { createHash, type Hash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readJson, writePrivateJson } from "../state.js";
import { hashFile } from "../tools/file-hash.js";
import type { StagedFiles } from "../tools/upload.js";

export const STAGING_TTL_MS = 24 * 3600_000;

const StagedRecord = z.object({
  id: z.string(),
  requester: z.object({ device: z.string(), role: z.enum(["owner", "sub-admin", "guest"]), user: z.string(), via: z.enum(["relay", "local", "discord"]) }),
  /** The real path of the shared folder it goes to, and the path inside it as the device gave it. */
  root: z.string(),
  path: z.string(),
  size: z.number(),
  sha256: z.string(),
  overwrite: z.boolean(),
  createdAt: z.number(),
  /** The task that places it, once finished and waiting for an approval. */
  task: z.string().optional(),
});
export type StagedUpload = z.infer<typeof StagedRecord>;

export class Staging implements StagedFiles {
  readonly dir: string;
  private timer: NodeJS.Timeout | undefined;
  private due = Number.POSITIVE_INFINITY;
  private readonly queues = new Map<string, Promise<unknown>>();
  /** The SHA-256 of each part so far, for parts hashed from their first byte in this process. */
  private readonly running = new Map<string, { hash: Hash; length: number }>();

  constructor(
    stateDir: string,
    /** True when this task has ended (or is unknown): its staged file is no longer needed. */
    private readonly taskEnded: (task: string) => boolean,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = STAGING_TTL_MS,
  ) {
    this.dir = join(stateDir, "uploads");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  partPath = (id: string) => join(this.dir, `${id}.part`);
  private recordPath = (id: string) => join(this.dir, `${id}.json`);

  list(): StagedUpload[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(".json"))
      .flatMap((name) => {
        const record = readJson(join(this.dir, name), StagedRecord);
        return record ? [record] : [];
      });
  }

  get(id: string): StagedUpload | undefined {
    if (!/^up_[A-Za-z0-9_-]+$/.test(id)) return undefined;
    return readJson(this.recordPath(id), StagedRecord) ?? undefined;
  }

  create(fields: Omit<StagedUpload, "id" | "createdAt">): StagedUpload {
    const record: StagedUpload = { ...fields, id: `up_${randomBytes(12).toString("base64url")}`, createdAt: this.now() };
    writeFileSync(this.partPath(record.id), "", { mode: 0o600, flag: "wx" });
    writePrivateJson(this.recordPath(record.id), record);
    this.running.set(record.id, { hash: createHash("sha256"), length: 0 });
    this.arm(record.createdAt + this.ttlMs);
    return record;
  }

  save(record: StagedUpload): void {
    writePrivateJson(this.recordPath(record.id), record);
  }

  /** How many bytes of it arrived. */
  received(id: string): number {
    return statSync(this.partPath(id)).size;
  }

  async append(id: string, offset: number, bytes: Uint8Array): Promise<void> {
    const running = this.running.get(id);
    // Whatever does not follow on from what was hashed (or fails half-written) leaves the part to be read again.
    this.running.delete(id);
    const file = await open(this.partPath(id), "r+");
    try {
      for (let written = 0; written < bytes.length; ) written += (await file.write(bytes, written, bytes.length - written, offset + written)).bytesWritten;
    } finally {
      await file.close();
    }
    if (running?.length === offset) this.running.set(id, { hash: running.hash.update(bytes), length: offset + bytes.length });
  }

  /** The SHA-256 (hex) of a part of `size` bytes: from the running hash when it covers them all, else read from the file. */
  async digest(id: string, size: number): Promise<string> {
    const running = this.running.get(id);
    if (running?.length === size) return running.hash.copy().digest("hex");
    const part = await this.openPart(id);
    return hashFile(part, size).finally(() => part.close());
  }

  openPart(id: string): Promise<FileHandle> {
    return open(this.partPath(id), "r");
  }

  remove(id: string): void {
    this.running.delete(id);
    rmSync(this.recordPath(id), { force: true });
    rmSync(this.partPath(id), { force: true });
  }

  /** Runs `work` after every earlier one for the same upload: its pieces are applied strictly in order. */
  serialize<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => this.queues.get(id) === settled && this.queues.delete(id));
    return next;
  }

  /** Removes what is stale or orphaned, then sets the timer for the next one due. */
  sweep(): void {
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    const live = new Set<string>();
    for (const record of this.list()) {
      const lastPiece = this.lastActivity(record);
      if (now - lastPiece >= this.ttlMs || (record.task !== undefined && this.taskEnded(record.task))) {
        this.remove(record.id);
        continue;
      }
      live.add(record.id);
      next = Math.min(next, lastPiece + this.ttlMs);
    }
    // A part or temporary file without its record is what a crash between two writes left behind.
    for (const name of readdirSync(this.dir)) {
      const id = name.split(".")[0]!;
      if (!live.has(id)) rmSync(join(this.dir, name), { force: true });
    }
    this.due = Number.POSITIVE_INFINITY;
    this.arm(next);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private lastActivity(record: StagedUpload): number {
    try {
      return Math.max(record.createdAt, statSync(this.partPath(record.id)).mtimeMs);
    } catch {
      return record.createdAt;
    }
  }

  private arm(at: number): void {
    if (!Number.isFinite(at) || at >= this.due) return;
    clearTimeout(this.timer);
    this.due = at;
    // unref: a staged upload alone does not keep the agent running.
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - this.now())).unref();
  }
}
