/** The local control channel and the approvals/audit commands, with the real CLI process. */
import Database from "better-sqlite3";
import { statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlError, controlRequest } from "../../node-agent/src/control/client.js";
import { startControlServer, type ControlServer } from "../../node-agent/src/control/server.js";
import { HandlerRegistry } from "../../node-agent/src/handlers.js";
import { registerApprovalMethods } from "../../node-agent/src/methods/approvals.js";
import { databasePath } from "../../node-agent/src/safety/db.js";
import { runAgentCommand } from "../helpers/agent.js";
import { alice, bob, harness, type Harness } from "./fixtures.js";

const running: Array<{ h: Harness; server?: ControlServer }> = [];

function handlersFor(h: Harness): HandlerRegistry {
  const handlers = new HandlerRegistry();
  registerApprovalMethods(handlers, h.safety);
  return handlers;
}

async function agentWithControl(): Promise<{ h: Harness; server: ControlServer; handlers: HandlerRegistry }> {
  const h = harness({ clock: { t: 0, now: Date.now, advance: () => undefined } });
  const handlers = handlersFor(h);
  const server = await startControlServer(handlers, h.stateDir);
  running.push({ h, server });
  return { h, server, handlers };
}

afterEach(async () => {
  for (const { h, server } of running.splice(0)) {
    await server?.close();
    h.safety.close();
  }
});

function sendRaw(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => socket.write(line));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.includes("\n")) {
        socket.destroy();
        resolve(data.trim());
      }
    });
    socket.on("error", reject);
  });
}

describe("the control socket", () => {
  it("listens owner-only in the state directory and answers as the local owner", async () => {
    const { h, server } = await agentWithControl();
    expect(server.path).toBe(join(h.stateDir, "control.sock"));
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    const call = h.call(bob, "echo.critical", { text: "c" });
    const approval = await call.pending;
    const { approvals: list } = await controlRequest(h.stateDir, "approvals.list", {});
    expect(list).toMatchObject([{ id: approval.id }]);
    expect(list[0]!.code).toMatch(/^\d{6}$/);
    await expect(controlRequest(h.stateDir, "approvals.decide", { id: approval.id, verdict: "approve", code: list[0]!.code! })).resolves.toEqual({
      id: approval.id,
      status: "approved",
    });
    await expect(call.result).resolves.toEqual({ echoed: "c" });
    const tail = h.safety.audit.tail(5);
    expect(tail.map((r) => r.event)).toEqual(["approval.approve", "approval.used", "task.started", "run", "task.done"]);
    expect(tail[0]!.device).toBe("local");
  });

  it("gives the PC's command line the same method as an owner device, and only the command line may type the code", async () => {
    const { h, handlers } = await agentWithControl();
    const id = (await h.call(bob, "echo.critical", { text: "c" }).pending).id;
    const fromDevice = await handlers.dispatch(
      "approvals.decide",
      { id, verdict: "approve", code: "000000" },
      { requester: alice, name: "alice's phone" },
      { signal: new AbortController().signal, emit: () => undefined },
    );
    // A device's code is refused before it is compared: it neither counts as a guess nor could succeed.
    expect(fromDevice).toMatchObject({ ok: false, error: { code: "passkey_required", message: expect.stringContaining("only at the PC") } });
    const fromCli = await controlRequest(h.stateDir, "approvals.decide", { id, verdict: "approve", code: "000000" }).catch((error: unknown) => error);
    expect(fromCli).toBeInstanceOf(ControlError);
    expect(fromCli).toMatchObject({ code: "wrong_code", message: `wrong code for approval ${id} (2 attempt(s) left)` });
  });

  it("answers malformed, unknown and invalid requests with typed errors and keeps serving", async () => {
    const { server } = await agentWithControl();
    expect(JSON.parse(await sendRaw(server.path, "not json\n"))).toMatchObject({ ok: false, error: { code: "bad_params" } });
    expect(JSON.parse(await sendRaw(server.path, '{"method":"tools.run","params":{"name":"echo.high"}}\n'))).toMatchObject({
      ok: false,
      error: { code: "unknown_method" },
    });
    expect(JSON.parse(await sendRaw(server.path, '{"method":"approvals.decide","params":{"id":"x","verdict":"approve","code":"12"}}\n'))).toMatchObject({
      ok: false,
      error: { code: "bad_params", message: expect.stringContaining("6 digits") },
    });
    expect(JSON.parse(await sendRaw(server.path, '{"method":"approvals.list"}\n'))).toEqual({ ok: true, result: { approvals: [] } });
  });

  it("refuses to start twice on one state directory but replaces a stale socket file", async () => {
    const { h, handlers } = await agentWithControl();
    await expect(startControlServer(handlers, h.stateDir)).rejects.toThrow(/already running/);
    const other = harness();
    running.push({ h: other });
    writeFileSync(join(other.stateDir, "control.sock"), "");
    const server = await startControlServer(handlersFor(other), other.stateDir);
    running[running.length - 1]!.server = server;
    expect(statSync(server.path).isSocket()).toBe(true);
  });
});

describe("ora-agent approvals, approve and deny", () => {
  it("list pending approvals with tool, risk, args, who, origin, time left and the CRITICAL code", async () => {
    const { h } = await agentWithControl();
    await h.call(alice, "echo.high", { text: "hello" }, { origin: "chat message from alice" }).pending;
    await h.call(bob, "echo.critical", { text: "boom" }).pending;
    const text = await runAgentCommand(["approvals", "--state-dir", h.stateDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/CRITICAL\s+echo\.critical\s+expires in (9m 5\d|10m 00)s\s+code \d{6}/);
    expect(text.stdout).toContain("asked by alice (owner, device dev-alice); origin: chat message from alice");
    expect(text.stdout).toContain('args {"text":"hello"}');
    const json = await runAgentCommand(["approvals", "--state-dir", h.stateDir, "--json"]);
    expect(JSON.parse(json.stdout).map((a: { tool: string }) => a.tool)).toEqual(["echo.critical", "echo.high"]);
  });

  it("approve a HIGH call, and ask for the code of a CRITICAL one before approving it", async () => {
    const { h } = await agentWithControl();
    const high = h.call(bob, "echo.high", { text: "h" });
    const approveHigh = await runAgentCommand(["approve", (await high.pending).id, "--state-dir", h.stateDir]);
    expect(approveHigh).toMatchObject({ code: 0, stdout: expect.stringContaining(": approved") });
    await expect(high.result).resolves.toEqual({ echoed: "h" });

    const critical = h.call(bob, "echo.critical", { text: "c" });
    const id = (await critical.pending).id;
    const noCode = await runAgentCommand(["approve", id, "--state-dir", h.stateDir]);
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toContain("code_required");
    const listed = JSON.parse((await runAgentCommand(["approvals", "--json", "--state-dir", h.stateDir])).stdout) as Array<{ code: string }>;
    const ok = await runAgentCommand(["approve", id.toUpperCase(), "--code", listed[0]!.code, "--state-dir", h.stateDir]);
    expect(ok.code).toBe(0);
    await expect(critical.result).resolves.toEqual({ echoed: "c" });
  });

  it("deny a call, which then does not run", async () => {
    const { h } = await agentWithControl();
    const call = h.call(bob, "echo.high", { text: "no" });
    const result = await runAgentCommand(["deny", (await call.pending).id, "--state-dir", h.stateDir]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(": denied") });
    await expect(call.result).rejects.toMatchObject({ code: "denied" });
    expect(h.ran).toHaveLength(0);
  });

  it("say plainly when the agent is not running, or the id or code is missing", async () => {
    const { stateDir } = harness();
    const absent = await runAgentCommand(["approve", "abcd1234", "--state-dir", stateDir]);
    expect(absent.code).toBe(3);
    expect(absent.stderr).toContain(`the agent is not running on ${stateDir} (start it with: npx ora-agent start --state-dir ${stateDir})`);
    expect((await runAgentCommand(["approvals", "--state-dir", stateDir])).stderr).toContain("the agent is not running");
    const noId = await runAgentCommand(["deny", "--state-dir", stateDir]);
    expect(noId).toMatchObject({ code: 2, stderr: expect.stringContaining("which approval?") });
    const badCode = await runAgentCommand(["approve", "abcd1234", "--code", "12ab", "--state-dir", stateDir]);
    expect(badCode.stderr).toContain("a code is 6 digits");
    expect((await runAgentCommand(["approve", "--help"])).stdout).toContain("Usage: ora-agent approve <id> [--code NNNNNN]");
  });
});

describe("ora-agent audit", () => {
  it("prints the newest rows, as text or JSON, without the arguments themselves", async () => {
    const h = harness();
    running.push({ h });
    await h.safety.callTool(alice, "echo.low", { text: "my secret note" }, { origin: "t" });
    const text = await runAgentCommand(["audit", "--state-dir", h.stateDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/#3 .* run\s+ok\s+echo\.low\s+alice\/owner@dev-alice\s+\d+ms\s+args [0-9a-f]{12}/);
    expect(text.stdout).not.toContain("my secret note");
    const json = await runAgentCommand(["audit", "--json", "--limit", "2", "--state-dir", h.stateDir]);
    expect(JSON.parse(json.stdout).map((r: { id: number }) => r.id)).toEqual([2, 3]);
    expect((await runAgentCommand(["audit", "--limit", "zero", "--state-dir", h.stateDir])).code).toBe(2);
  });

  it("verify exits 0 on an intact log and 1 on an edited one, naming the first bad row", async () => {
    const h = harness();
    running.push({ h });
    for (const text of ["a", "b"]) await h.safety.callTool(alice, "echo.low", { text }, { origin: "t" });
    const intact = await runAgentCommand(["audit", "verify", "--state-dir", h.stateDir]);
    expect(intact).toMatchObject({ code: 0, stdout: expect.stringContaining("audit log intact: 6 row(s)") });
    const db = new Database(databasePath(h.stateDir));
    db.prepare("UPDATE audit SET status = 'ok' WHERE id = 4").run();
    db.close();
    const tampered = await runAgentCommand(["audit", "verify", "--state-dir", h.stateDir]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("audit log TAMPERED: first bad row #4");
  });

  it("says so when there is no audit log yet", async () => {
    const result = await runAgentCommand(["audit", "--state-dir", join(harness().stateDir, "empty")]);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining("no audit log in") });
  });
});
