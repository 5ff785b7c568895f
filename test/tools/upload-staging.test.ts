/**
 * The staging area of uploads (node-agent/src/files/staging.ts) on its own, with a moved clock: what
 * is stale goes at start, the timer is set for the next one due rather than polling, and an upload
 * whose placing task ended goes with it. Pieces of one upload run strictly one after another, and
 * its SHA-256 is kept as they come, so that a finished upload is not read again.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Staging } from "../../node-agent/src/files/staging.js";
import { newStateDir } from "../helpers/agent.js";

const DAY = 24 * 3600_000;
const who = { device: "d_phone", role: "owner" as const, user: "owner", via: "relay" as const };
const fields = { requester: who, root: "/srv/shared", path: "a.bin", size: 10, sha256: "0".repeat(64), overwrite: false };

describe("the upload staging area", () => {
  afterEach(() => vi.useRealTimers());

  it("removes at start what is a day old, orphaned, or waiting on a task that ended, and keeps the rest", () => {
    const stateDir = newStateDir();
    let now = Date.now();
    const ended = new Set(["t_done"]);
    const staging = new Staging(
      stateDir,
      (task) => ended.has(task),
      () => now,
    );
    const old = staging.create(fields);
    const fresh = staging.create(fields);
    const placed = staging.create(fields);
    staging.save({ ...placed, task: "t_done" });
    const waiting = staging.create(fields);
    staging.save({ ...waiting, task: "t_waiting" });
    writeFileSync(join(staging.dir, "up_orphan00000.part"), "left by a crash");
    // The old one's last piece arrived over a day ago; the fresh one's just now.
    const past = (now - DAY - 1000) / 1000;
    utimesSync(staging.partPath(old.id), past, past);
    staging.save({ ...old, createdAt: now - DAY - 1000 });
    now += 1;
    staging.sweep();
    staging.close();
    expect(readdirSync(staging.dir).sort()).toEqual([`${fresh.id}.json`, `${fresh.id}.part`, `${waiting.id}.json`, `${waiting.id}.part`].sort());
  });

  it("sets one timer for the next upload due, and removes it then without being asked", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const stateDir = newStateDir();
    mkdirSync(join(stateDir, "uploads"), { recursive: true });
    const staging = new Staging(stateDir, () => false);
    staging.sweep();
    const upload = staging.create(fields);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(DAY - 60_000);
    expect(staging.get(upload.id)).toBeDefined();
    vi.advanceTimersByTime(120_000);
    expect(staging.get(upload.id)).toBeUndefined();
    expect(readdirSync(staging.dir)).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("hashes pieces as they arrive in order, and reads the part again only when that hash cannot cover it", async () => {
    const stateDir = newStateDir();
    const staging = new Staging(stateDir, () => false);
    const bytes = new Uint8Array(10).map((_, i) => i);
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    const upload = staging.create(fields);
    await staging.append(upload.id, 0, bytes.subarray(0, 4));
    await staging.append(upload.id, 4, bytes.subarray(4));
    expect(await staging.digest(upload.id, 10)).toBe(sha(bytes));
    // The running hash is what arrived: a part changed on disk afterwards does not change it (placing
    // the file hashes what lands again), while a fresh process, which has no running hash, reads the part.
    const changed = new Uint8Array(10).fill(7);
    writeFileSync(staging.partPath(upload.id), changed);
    expect(await staging.digest(upload.id, 10)).toBe(sha(bytes));
    expect(await new Staging(stateDir, () => false).digest(upload.id, 10)).toBe(sha(changed));
    // A piece that does not follow on from what was hashed leaves the part to be read.
    const again = staging.create(fields);
    await staging.append(again.id, 0, bytes.subarray(0, 4));
    await staging.append(again.id, 0, bytes.subarray(0, 4));
    await staging.append(again.id, 4, bytes.subarray(4));
    expect(await staging.digest(again.id, 10)).toBe(sha(bytes));
    writeFileSync(staging.partPath(again.id), changed);
    expect(await staging.digest(again.id, 10)).toBe(sha(changed));
    staging.close();
  });

  it("applies the work of one upload strictly in order, whatever each piece waits on", async () => {
    const staging = new Staging(newStateDir(), () => false);
    const order: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = staging.serialize("up_x", async () => {
      await gate;
      order.push(1);
    });
    const second = staging.serialize("up_x", async () => void order.push(2));
    const other = staging.serialize("up_y", async () => void order.push(3));
    await other;
    release();
    await Promise.all([first, second]);
    expect(order).toEqual([3, 1, 2]);
  });
});
