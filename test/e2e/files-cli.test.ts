/**
 * `ora-agent remote get` and `remote put` as a person runs them, against the real relay and the real
 * agent process: byte-exact both ways, a download that goes on from its .part (and one whose .part
 * was altered, which the SHA-256 catches), Ctrl-C that keeps a download's .part and cancels an upload
 * on the PC, and an upload that waits for the owner's approval says so.
 */
import { OraClient, toBase64Url } from "@ora/protocol";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";

const MIB = 1024 * 1024;
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The terminal client's state directory, as `remote pair` leaves it, for an already provisioned device. */
function remoteDirFor(device: ProvisionedDevice, node: string): string {
  const dir = newStateDir();
  const agentKey = device.agentPublicKey as unknown;
  writeFileSync(
    join(dir, "device.json"),
    JSON.stringify({
      relay: device.relay,
      node,
      device: device.device,
      name: "laptop",
      role: "owner",
      credential: device.credential,
      secretKey: toBase64Url(device.secretKey),
      agentPublicKey: typeof agentKey === "string" ? agentKey : toBase64Url(agentKey as Uint8Array),
      pairedAt: new Date().toISOString(),
    }),
    { mode: 0o600 },
  );
  return dir;
}

/** Runs a remote command and sends it Ctrl-C once its stderr shows `when`. */
function interrupted(args: string[], when: RegExp): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [AGENT_BIN, ...args], { env: { ...process.env, ORA_SECRETS: "file" } });
  let stderr = "";
  let sent = false;
  proc.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (!sent && when.test(stderr)) {
      sent = true;
      proc.kill("SIGINT");
    }
  });
  return new Promise((resolve) => proc.on("exit", (code) => resolve({ code, stderr })));
}

describe("remote get and remote put", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let ownerId: ProvisionedDevice;
  let remoteDir: string;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  const here = realpathSync(mkdtempSync(join(tmpdir(), "ora-here-")));
  const stateDir = newStateDir();
  const small = randomBytes(3 * MIB + 1);
  const large = randomBytes(24 * MIB);
  const remote = (...args: string[]) => runAgentCommand(["remote", ...args, "--state-dir", remoteDir]);

  beforeAll(async () => {
    writeFileSync(join(root, "report.pdf"), small);
    writeFileSync(join(root, "video.mp4"), large);
    mkdirSync(join(root, "inbox"));
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir, { ORA_TOOL_ROOTS: root });
    ownerId = await provisionDevice(relay, agent, "laptop", "owner");
    remoteDir = remoteDirFor(ownerId, agent.node().nodeId);
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("gets a file byte-exact, with plain progress lines when stderr is not a terminal", async () => {
    const result = await remote("get", "report.pdf", join(here, "report.pdf"));
    expect(result.stderr).toMatch(/report\.pdf 100%\s+3\.0\/3\.0 MiB/);
    expect(result.stdout).toContain(`sha256 ${sha(small)}`);
    expect(result.code).toBe(0);
    expect(readFileSync(join(here, "report.pdf")).equals(small)).toBe(true);
    expect(existsSync(join(here, "report.pdf.part"))).toBe(false);
    const again = await remote("get", "report.pdf", join(here, "report.pdf"));
    expect(again).toMatchObject({ code: 2, stderr: expect.stringContaining("already exists (--overwrite replaces it)") });
  });

  it("goes on from a .part left by an earlier run, and refuses one whose bytes were altered", async () => {
    const owner = await OraClient.connect({ identity: ownerId });
    const { version } = await owner.request("files.download", { path: "report.pdf", length: 1 });
    owner.close();
    const dest = join(here, "resumed.pdf");
    writeFileSync(`${dest}.part`, small.subarray(0, MIB));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ path: "report.pdf", version, size: small.length, offset: MIB }));
    const result = await remote("get", "report.pdf", dest);
    expect(result.stderr).toContain(`going on from ${MIB} bytes`);
    expect(result.code).toBe(0);
    expect(readFileSync(dest).equals(small)).toBe(true);

    const altered = join(here, "altered.pdf");
    writeFileSync(`${altered}.part`, randomBytes(MIB));
    writeFileSync(`${altered}.part.json`, JSON.stringify({ path: "report.pdf", version, size: small.length, offset: MIB }));
    const refused = await remote("get", "report.pdf", altered);
    expect(refused.stderr).toContain("[checksum_mismatch]");
    expect(refused.code).toBe(3);
    expect(existsSync(altered)).toBe(false);
  });

  it("keeps the .part on Ctrl-C, and the same command again ends the download byte-exact", async () => {
    const dest = join(here, "video.mp4");
    const stopped = await interrupted(["remote", "get", "video.mp4", dest, "--state-dir", remoteDir], /video\.mp4\s+[1-9]\d%/);
    expect(stopped.stderr).toContain("keeps what arrived: run the same command again to go on");
    expect(stopped.code).toBe(130);
    const kept = readFileSync(`${dest}.part`).length;
    expect(kept).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(`${dest}.part.json`, "utf8"))).toMatchObject({ path: "video.mp4", size: large.length });
    const resumed = await remote("get", "video.mp4", dest);
    expect(resumed.stderr).toContain(`going on from ${kept} bytes`);
    expect(resumed.code).toBe(0);
    expect(readFileSync(dest).equals(large)).toBe(true);
  });

  it("puts a file, says that placing it waits for the owner's approval, and it lands byte-exact once approved", async () => {
    const local = join(here, "photo.jpg");
    const bytes = randomBytes(2 * MIB + 3);
    writeFileSync(local, bytes);
    const owner = await OraClient.connect({ identity: ownerId });
    const tasks = watchTasks(owner);
    await owner.request("ping");
    const result = await remote("put", local, "inbox/photo.jpg");
    expect(result.stdout).toMatch(/placing it waits for the PC owner's approval \(task \S+, approval (\S+)\)/);
    expect(result.stdout).toContain("ora-agent approve");
    expect(result.code).toBe(0);
    const approval = /approval (ap_\S+|\S+)\)/.exec(result.stdout)![1]!;
    const task = /task (\S+),/.exec(result.stdout)![1]!;
    await owner.request("approvals.decide", { id: approval, verdict: "approve" });
    expect(await tasks.ended(task)).toMatchObject({ state: "done" });
    expect(readFileSync(join(root, "inbox/photo.jpg")).equals(bytes)).toBe(true);
    owner.close();

    const again = await remote("put", local, "inbox/photo.jpg");
    expect(again.stderr).toContain("already exists");
    expect(again.stderr).toContain("[conflict]");
    expect(again.code).toBe(3);
  });

  it("cancels the upload on the PC on Ctrl-C: nothing stays staged and nothing is placed", async () => {
    const local = join(here, "big.iso");
    writeFileSync(local, large);
    const stopped = await interrupted(["remote", "put", local, "inbox/big.iso", "--state-dir", remoteDir], /big\.iso\s+[1-9]\d%/);
    expect(stopped.stderr).toContain("the upload was cancelled on the PC and nothing was placed");
    expect(stopped.code).toBe(130);
    expect(readdirSync(join(stateDir, "uploads"))).toEqual([]);
    expect(existsSync(join(root, "inbox/big.iso"))).toBe(false);
  });
});
