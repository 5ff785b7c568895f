/**
 * Files between a device and its PC, end to end through the real relay (workerd) and the real agent
 * process: downloads in pieces checked by SHA-256, uploads staged on the PC and placed through the
 * owner's approval, and what each refuses: a file that changed, a piece out of place, a wrong
 * SHA-256, a file over the cap, a guest who may not write, a path or symlink out of the shared folder.
 */
import { download, newHasher, OraClient, rawBytes, upload, type OraError, type UploadSource } from "@ora/protocol";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { approvalFor, watchTasks } from "../helpers/tasks.js";

const MIB = 1024 * 1024;
/** What is staged on the PC for this upload (its part and its record). */
const stagedFor = (stateDir: string, id: string) => readdirSync(join(stateDir, "uploads")).filter((name) => name.startsWith(`${id}.`));
const CAP = 8 * MIB;
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sourceOf = (bytes: Uint8Array, onRead?: (offset: number) => void): UploadSource => ({
  size: bytes.length,
  read: async (offset, length) => (onRead?.(offset), bytes.subarray(offset, offset + length)),
});

/** A client that `drop()` disconnects; the next connect() gives a fresh one, as after a network blink. */
function droppable(identity: ProvisionedDevice) {
  let current: Promise<OraClient> | undefined;
  let connects = 0;
  return {
    connects: () => connects,
    connect: () => (current ??= (connects++, OraClient.connect({ identity }))),
    async drop() {
      const client = await current!;
      current = undefined;
      client.close();
    },
    async close() {
      (await current)?.close();
    },
  };
}

describe("files between a device and its PC", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let ownerId: ProvisionedDevice;
  let guestId: ProvisionedDevice;
  let owner: OraClient;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  const outside = realpathSync(mkdtempSync(join(tmpdir(), "ora-outside-")));
  const stateDir = newStateDir();
  const big = randomBytes(5 * MIB + 12_345);

  beforeAll(async () => {
    writeFileSync(join(root, "big.bin"), big);
    writeFileSync(join(root, "huge.bin"), Buffer.alloc(CAP + 1));
    writeFileSync(join(outside, "secret.txt"), "not shared");
    symlinkSync(join(outside, "secret.txt"), join(root, "link.txt"));
    symlinkSync(outside, join(root, "out"));
    mkdirSync(join(root, "in"));
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir, {
      ORA_PROFILE: "shared",
      ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.read",
      ORA_TOOL_ROOTS: root,
      ORA_FILES_MAX_BYTES: String(CAP),
    });
    ownerId = await provisionDevice(relay, agent, "owner-phone", "owner");
    guestId = await provisionDevice(relay, agent, "guest-tablet", "guest");
    owner = await OraClient.connect({ identity: ownerId });
  });
  afterAll(async () => {
    owner?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("downloads a multi-MiB file byte-exact, in pieces, with the PC's SHA-256", async () => {
    const received = Buffer.alloc(big.length);
    const pieces: number[] = [];
    const done = await download(() => owner, { path: "big.bin", write: (bytes, offset) => (received.set(bytes, offset), void pieces.push(offset)) });
    expect(done).toMatchObject({ name: "big.bin", size: big.length, sha256: sha(big) });
    expect(received.equals(big)).toBe(true);
    expect(pieces.length).toBe(Math.ceil(big.length / (256 * 1024)));
  });

  it("keeps no more pieces in flight than the relay's flow window lets through, whatever the caller asks", async () => {
    const received = Buffer.alloc(big.length);
    const done = await download(() => owner, { path: "big.bin", inFlight: 32, write: (bytes, offset) => void received.set(bytes, offset) });
    expect(done.sha256).toBe(sha(big));
    expect(received.equals(big)).toBe(true);
  });

  it("refuses with conflict a file that changed while it was downloaded", async () => {
    writeFileSync(join(root, "growing.log"), randomBytes(2 * MIB));
    const write = (_bytes: Uint8Array, offset: number) => {
      if (offset === 0) appendFileSync(join(root, "growing.log"), "one more line\n");
    };
    await expect(download(() => owner, { path: "growing.log", write })).rejects.toMatchObject({ code: "conflict" });
  });

  it("reads the file the first piece opened for the pieces after it: a link swapped in meanwhile leads nowhere else", async () => {
    const bytes = randomBytes(MIB);
    writeFileSync(join(root, "swap.bin"), bytes);
    const first = await owner.request("files.download", { path: "swap.bin", length: 256 * 1024 });
    rmSync(join(root, "swap.bin"));
    symlinkSync(join(outside, "secret.txt"), join(root, "swap.bin"));
    const second = await owner.request("files.download", { path: "swap.bin", offset: 256 * 1024, length: 256 * 1024, version: first.version });
    expect(Buffer.from(second.data).equals(bytes.subarray(256 * 1024, 512 * 1024))).toBe(true);
    // A download that starts now goes through the path checks, and the link leads out of the folder.
    await expect(owner.request("files.download", { path: "swap.bin" })).rejects.toMatchObject({ code: "denied" });
    await owner.request("files.download", { path: "swap.bin", offset: 512 * 1024, length: 256 * 1024, version: first.version });
    const last = await owner.request("files.download", { path: "swap.bin", offset: 768 * 1024, length: 256 * 1024, version: first.version });
    expect(last.eof).toBe(true);
    expect(last.sha256).toBe(sha(bytes));
  });

  it("audits a download that no piece was asked for within ORA_FILES_DOWNLOAD_IDLE_SEC as abandoned, with how far it got", async () => {
    const idle = await startAgent(relay.url, newStateDir(), { ORA_TOOL_ROOTS: root, ORA_FILES_DOWNLOAD_IDLE_SEC: "1" });
    try {
      const phone = await OraClient.connect({ identity: await provisionDevice(relay, idle, "idle-phone", "owner") });
      const first = await phone.request("files.download", { path: "big.bin", length: 256 * 1024 });
      await phone.request("files.download", { path: "big.bin", offset: 256 * 1024, length: 256 * 1024, version: first.version });
      const rows = async () => {
        const { stdout } = await runAgentCommand(["audit", "--json", "--limit", "100", "--state-dir", idle.stateDir]);
        const all = JSON.parse(stdout) as { event: string; status: string; detail: string | null }[];
        return all.filter((row) => row.event === "files.download").map((row) => [row.status, row.detail]);
      };
      await expect.poll(rows, { timeout: 20_000 }).toContainEqual(["abandoned", `after ${512 * 1024} bytes`]);
      expect(await rows()).toContainEqual(["started", `${big.length} bytes`]);
      // A download that ends is not abandoned: once another one, stopped after it ended, is audited
      // as abandoned, the finished one has had its idle time too, and has no such row.
      await download(() => phone, { path: "big.bin", write: () => undefined });
      writeFileSync(join(root, "later.bin"), randomBytes(300 * 1024));
      await phone.request("files.download", { path: "later.bin", length: 256 * 1024 });
      await expect.poll(rows, { timeout: 20_000 }).toContainEqual(["abandoned", `after ${256 * 1024} bytes`]);
      expect((await rows()).filter(([status]) => status === "abandoned")).toHaveLength(2);
      phone.close();
    } finally {
      await idle.stop();
    }
  });

  it("goes on after the connection dropped mid-download and ends byte-exact", async () => {
    const link = droppable(ownerId);
    const received = Buffer.alloc(big.length);
    let dropped = false;
    const done = await download(link.connect, {
      path: "big.bin",
      write: async (bytes, offset) => {
        received.set(bytes, offset);
        if (!dropped && offset >= MIB) {
          dropped = true;
          await link.drop();
        }
      },
    });
    await link.close();
    expect(link.connects()).toBe(2);
    expect(done.sha256).toBe(sha(big));
    expect(received.equals(big)).toBe(true);
  });

  it("resumes a download from an offset with the hash of what came before", async () => {
    const first = big.subarray(0, 3 * MIB);
    const hasher = newHasher().update(first);
    const { version } = await owner.request("files.download", { path: "big.bin", length: 1 });
    const rest: Uint8Array[] = [];
    const done = await download(() => owner, { path: "big.bin", resume: { offset: first.length, version, hasher }, write: (bytes) => void rest.push(bytes) });
    expect(done.sha256).toBe(sha(big));
    expect(Buffer.concat([first, ...rest]).equals(big)).toBe(true);
  });

  it("places an upload once the owner approves it, byte-exact", async () => {
    const bytes = randomBytes(3 * MIB + 7);
    const tasks = watchTasks(owner);
    const outcome = await upload(() => owner, { path: "in/photo.jpg", source: sourceOf(bytes) });
    if (outcome.status !== "waiting") throw new Error("an upload was placed without an approval");
    expect(existsSync(join(root, "in/photo.jpg"))).toBe(false);
    const approval = await approvalFor(owner, "files.upload");
    expect(approval.args).toMatchObject({ path: "in/photo.jpg", size: bytes.length, sha256: sha(bytes) });
    await owner.request("approvals.decide", { id: approval.id, verdict: "approve" });
    expect(await tasks.ended(outcome.task.id)).toMatchObject({ state: "done", result: { path: "in/photo.jpg", size: bytes.length, sha256: sha(bytes) } });
    expect(readFileSync(join(root, "in/photo.jpg")).equals(bytes)).toBe(true);
    expect(stagedFor(stateDir, (approval.args as { upload: string }).upload)).toEqual([]);
    tasks.stop();
  });

  it("answers a repeated finish of an upload placed at once (a standing rule) with the same file, to its device only", async () => {
    mkdirSync(join(root, "ruled"));
    const first = await upload(() => owner, { path: "ruled/1.txt", source: sourceOf(Buffer.from("one")) });
    if (first.status !== "waiting") throw new Error("placed without an approval");
    const approval = await approvalFor(owner, "files.upload");
    const tasks = watchTasks(owner);
    await owner.request("approvals.decide", { id: approval.id, verdict: "approve", always: { until: Date.now() + 3_600_000, scope: { path: "ruled/" } } });
    await tasks.ended(first.task.id);
    tasks.stop();
    const bytes = Buffer.from("two");
    const { upload: id } = await owner.request("files.upload.begin", { path: "ruled/2.txt", size: bytes.length, sha256: sha(bytes) });
    await owner.request("files.upload.piece", { upload: id, offset: 0, data: rawBytes(bytes) });
    const placed = await owner.request("files.upload.finish", { upload: id });
    expect(placed).toMatchObject({ status: "done", file: { path: "ruled/2.txt", size: 3, sha256: sha(bytes) } });
    // Its answer lost on the way, the device asks again: the same answer, and the file is there once.
    expect(await owner.request("files.upload.finish", { upload: id })).toEqual(placed);
    expect(readFileSync(join(root, "ruled/2.txt"), "utf8")).toBe("two");
    const laptop = await OraClient.connect({ identity: await provisionDevice(relay, agent, "owner-laptop-2", "owner") });
    await expect(laptop.request("files.upload.finish", { upload: id })).rejects.toMatchObject({ code: "not_found" });
    laptop.close();
  });

  it("deletes the staged file when the owner denies placing it", async () => {
    const bytes = randomBytes(300 * 1024);
    const tasks = watchTasks(owner);
    const outcome = await upload(() => owner, { path: "in/denied.bin", source: sourceOf(bytes) });
    if (outcome.status !== "waiting") throw new Error("placed without an approval");
    const id = (await approvalFor(owner, "files.upload")).args as { upload: string };
    expect(stagedFor(stateDir, id.upload)).toHaveLength(2);
    await owner.request("approvals.decide", { id: outcome.task.approval, verdict: "deny" });
    expect(await tasks.ended(outcome.task.id)).toMatchObject({ state: "denied" });
    expect(stagedFor(stateDir, id.upload)).toEqual([]);
    expect(existsSync(join(root, "in/denied.bin"))).toBe(false);
    tasks.stop();
  });

  it("goes on after the connection dropped mid-upload, under the same upload, and ends byte-exact", async () => {
    const bytes = randomBytes(4 * MIB);
    const link = droppable(ownerId);
    let dropped = false;
    const outcome = await upload(link.connect, {
      path: "in/resumed.bin",
      sha256: sha(bytes),
      source: sourceOf(bytes, (offset) => {
        if (!dropped && offset >= 2 * MIB) {
          dropped = true;
          void link.drop();
        }
      }),
    });
    await link.close();
    expect(link.connects()).toBe(2);
    if (outcome.status !== "waiting") throw new Error("placed without an approval");
    const tasks = watchTasks(owner);
    await owner.request("approvals.decide", { id: outcome.task.approval, verdict: "approve" });
    expect(await tasks.ended(outcome.task.id)).toMatchObject({ state: "done" });
    expect(readFileSync(join(root, "in/resumed.bin")).equals(bytes)).toBe(true);
    tasks.stop();
  });

  it("resumes an unfinished upload of the same file to the same place under its id, from what arrived", async () => {
    const bytes = randomBytes(600 * 1024);
    const params = { path: "in/again.bin", size: bytes.length, sha256: sha(bytes) };
    const first = await owner.request("files.upload.begin", params);
    await owner.request("files.upload.piece", { upload: first.upload, offset: 0, data: rawBytes(bytes.subarray(0, 256 * 1024)) });
    const again = await owner.request("files.upload.begin", params);
    expect(again).toMatchObject({ upload: first.upload, received: 256 * 1024 });
    expect(stagedFor(stateDir, first.upload)).toHaveLength(2);
    await owner.request("files.upload.cancel", { upload: first.upload });
    expect(stagedFor(stateDir, first.upload)).toEqual([]);
  });

  it("refuses a piece that is not where the upload stands with conflict", async () => {
    const bytes = randomBytes(600 * 1024);
    const { upload: id } = await owner.request("files.upload.begin", { path: "in/order.bin", size: bytes.length, sha256: sha(bytes) });
    const second = rawBytes(bytes.subarray(256 * 1024, 512 * 1024));
    await expect(owner.request("files.upload.piece", { upload: id, offset: 256 * 1024, data: second })).rejects.toMatchObject({ code: "conflict" });
    await owner.request("files.upload.piece", { upload: id, offset: 0, data: rawBytes(bytes.subarray(0, 256 * 1024)) });
    await expect(owner.request("files.upload.piece", { upload: id, offset: 0, data: second })).rejects.toMatchObject({ code: "conflict" });
    expect(await owner.request("files.upload.piece", { upload: id, offset: 256 * 1024, data: second })).toEqual({ received: 512 * 1024 });
    await owner.request("files.upload.cancel", { upload: id });
  });

  it("refuses an upload whose bytes do not have the announced SHA-256, deletes it and places nothing", async () => {
    const bytes = randomBytes(300 * 1024);
    const claimed = sha(randomBytes(16));
    const { upload: id } = await owner.request("files.upload.begin", { path: "in/forged.bin", size: bytes.length, sha256: claimed });
    await owner.request("files.upload.piece", { upload: id, offset: 0, data: rawBytes(bytes.subarray(0, 256 * 1024)) });
    await owner.request("files.upload.piece", { upload: id, offset: 256 * 1024, data: rawBytes(bytes.subarray(256 * 1024)) });
    await expect(owner.request("files.upload.finish", { upload: id })).rejects.toMatchObject({ code: "checksum_mismatch" });
    expect(existsSync(join(root, "in/forged.bin"))).toBe(false);
    expect(stagedFor(stateDir, id)).toEqual([]);
    expect((await owner.request("approvals.list")).approvals.filter((a) => a.tool === "files.upload")).toEqual([]);
  });

  it("treats an upload id as no capability: another device can neither add to it, finish, cancel nor place it", async () => {
    const bytes = randomBytes(300 * 1024);
    const { upload: id } = await owner.request("files.upload.begin", { path: "in/mine.bin", size: bytes.length, sha256: sha(bytes) });
    const laptop = await OraClient.connect({ identity: await provisionDevice(relay, agent, "owner-laptop", "owner") });
    const data = rawBytes(bytes.subarray(0, 256 * 1024));
    await expect(laptop.request("files.upload.piece", { upload: id, offset: 0, data })).rejects.toMatchObject({ code: "not_found" });
    await expect(laptop.request("files.upload.finish", { upload: id })).rejects.toMatchObject({ code: "not_found" });
    await expect(laptop.request("files.upload.cancel", { upload: id })).rejects.toMatchObject({ code: "not_found" });
    const args = { upload: id, path: "in/mine.bin", size: bytes.length, sha256: sha(bytes) };
    const placing = await laptop.request("tools.call", { name: "files.upload", args });
    if (placing.status !== "waiting") throw new Error("files.upload ran without an approval");
    const tasks = watchTasks(laptop);
    await owner.request("approvals.decide", { id: placing.task.approval!, verdict: "approve" });
    expect(await tasks.ended(placing.task.id)).toMatchObject({ state: "failed", error: { code: "not_found" } });
    expect(existsSync(join(root, "in/mine.bin"))).toBe(false);
    // Untouched by all of it, the upload is still its device's.
    expect(await owner.request("files.upload.piece", { upload: id, offset: 0, data })).toEqual({ received: 256 * 1024 });
    await owner.request("files.upload.cancel", { upload: id });
    tasks.stop();
    laptop.close();
  });

  it("refuses files over ORA_FILES_MAX_BYTES either way with too_large", async () => {
    await expect(owner.request("files.download", { path: "huge.bin" })).rejects.toMatchObject({ code: "too_large" });
    await expect(owner.request("files.upload.begin", { path: "in/huge.bin", size: CAP + 1, sha256: sha(new Uint8Array(0)) })).rejects.toMatchObject({
      code: "too_large",
    });
    // At the cap is allowed: the limit is the cap, not one byte below it.
    const atCap = await owner.request("files.upload.begin", { path: "in/cap.bin", size: CAP, sha256: sha(new Uint8Array(0)) });
    await owner.request("files.upload.cancel", { upload: atCap.upload });
  });

  it("lets a guest with files.read download, and refuses its upload at begin since it may not write files", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    const before = readdirSync(join(stateDir, "uploads"));
    const received: Uint8Array[] = [];
    expect((await download(() => guest, { path: "big.bin", write: (bytes) => void received.push(bytes) })).sha256).toBe(sha(big));
    await expect(guest.request("files.upload.begin", { path: "in/guest.bin", size: 3, sha256: sha(Buffer.from("abc")) })).rejects.toMatchObject({
      code: "not_found",
    });
    expect(readdirSync(join(stateDir, "uploads"))).toEqual(before);
    guest.close();
  });

  it("refuses paths that lead out of the shared folder, by .. or through a symlink, either way", async () => {
    const refused = (call: Promise<unknown>) =>
      call.then(
        () => undefined,
        (error: OraError) => error.code,
      );
    expect(await refused(owner.request("files.download", { path: "../etc/passwd" }))).toBe("bad_params");
    expect(await refused(owner.request("files.download", { path: "link.txt" }))).toBe("denied");
    expect(await refused(owner.request("files.download", { path: "out/secret.txt" }))).toBe("denied");
    const begin = (path: string) => owner.request("files.upload.begin", { path, size: 3, sha256: sha(Buffer.from("abc")) });
    expect(await refused(begin("../escape.txt"))).toBe("bad_params");
    expect(await refused(begin("out/planted.txt"))).toBe("denied");
    expect(await refused(begin("link.txt"))).toBe("denied");
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("not shared");
  });
});
