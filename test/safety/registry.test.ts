import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "../../node-agent/src/safety/index.js";
import { ToolError, type Tool } from "../../node-agent/src/safety/tool.js";
import { detectSandbox, filesWrite, runProgramTool } from "../../node-agent/src/tools/index.js";
import { alice, bob, gus, gwen, harness } from "./fixtures.js";

describe("the tool registry", () => {
  it("shows each requester exactly the tools it may call, with risk and whether approval is needed", () => {
    const { safety } = harness({ profile: "shared", env: { ORA_SHARED_GUEST_ALLOWED_TOOLS: "echo.low,echo.high,secret.low" } });
    expect(safety.listTools(alice).map((t) => t.name)).toEqual(["echo.high", "echo.low", "echo.medium", "secret.low"]);
    expect(safety.listTools(gus).map((t) => [t.name, t.risk, t.needsApproval])).toEqual([
      ["echo.high", "HIGH", true],
      ["echo.low", "LOW", false],
    ]);
    expect(safety.listTools(gus)[1]!.parameters).toMatchObject({ type: "object", properties: { text: { type: "string" } } });
  });

  it("runs LOW and MEDIUM tools at once, with the requester and the profile database in the context", async () => {
    const h = harness();
    await expect(h.safety.callTool(alice, "echo.low", { text: "hi" }, { origin: "test" })).resolves.toEqual({ status: "done", result: { echoed: "hi" } });
    await expect(h.safety.callTool(bob, "echo.medium", { text: "yo" }, { origin: "test" })).resolves.toEqual({ status: "done", result: { echoed: "yo" } });
    expect(h.ran.map((r) => [r.tool, r.by.user])).toEqual([
      ["echo.low", "alice"],
      ["echo.medium", "bob"],
    ]);
  });

  it("refuses arguments that fail the tool's schema with bad_args and a message naming the field", async () => {
    const { safety, ran } = harness();
    const error = await safety.callTool(alice, "echo.low", { text: 5 }, { origin: "test" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({ code: "bad_args", message: expect.stringContaining("text:") });
    expect(ran).toHaveLength(0);
  });

  it("refuses arguments over the size cap, counted as canonical JSON bytes", async () => {
    const { safety } = harness({ policy: { maxArgsBytes: 100 } });
    await expect(safety.callTool(alice, "echo.low", { text: "x".repeat(89) }, { origin: "t" })).resolves.toBeDefined();
    await expect(safety.callTool(alice, "echo.low", { text: "x".repeat(90) }, { origin: "t" })).rejects.toMatchObject({
      code: "bad_args",
      message: expect.stringContaining("larger than 100 bytes"),
    });
  });

  it("rate-limits per requester and risk level with a bucket that refills over time", async () => {
    const h = harness({ policy: { ratePerMinute: { LOW: 2, MEDIUM: 1, HIGH: 1, CRITICAL: 1 } } });
    const low = (who = alice) => h.safety.callTool(who, "echo.low", { text: "x" }, { origin: "t" });
    await low();
    await low();
    await expect(low()).rejects.toMatchObject({ code: "rate_limited" });
    await expect(h.safety.callTool(alice, "echo.medium", { text: "x" }, { origin: "t" })).resolves.toBeDefined();
    await expect(low(gwen)).resolves.toBeDefined();
    h.clock.advance(30_000);
    await expect(low()).resolves.toBeDefined();
    await expect(low()).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("reports a tool's own ToolError as is, and hides any other failure behind a plain message", async () => {
    const boom: Tool = {
      name: "boom",
      description: "fails",
      args: z.object({ kind: z.string() }),
      risk: "LOW",
      guestVisible: false,
      run: ({ kind }) => {
        if (kind === "tool") throw new ToolError("too_large", "the file is too large");
        throw new Error("ENOENT: /home/alice/secret/path");
      },
    };
    const { safety } = harness({ tools: () => [boom] });
    await expect(safety.callTool(alice, "boom", { kind: "tool" }, { origin: "t" })).rejects.toMatchObject({
      code: "too_large",
      message: "the file is too large",
    });
    const hidden = await safety.callTool(alice, "boom", { kind: "other" }, { origin: "t" }).catch((e: Error) => e);
    expect(hidden).toMatchObject({ code: "failed", message: "boom failed" });
    expect(safety.audit.tail(1)[0]).toMatchObject({ event: "run", status: "failed" });
  });

  it("audits the request, the policy decision and the run with who, tool, args hash and duration", async () => {
    const { safety } = harness();
    await safety.callTool(alice, "echo.low", { text: "hi" }, { origin: "t" });
    const rows = safety.audit.tail(10);
    expect(rows.map((r) => [r.event, r.status])).toEqual([
      ["request", "received"],
      ["policy", "allowed"],
      ["run", "ok"],
    ]);
    expect(rows[2]).toMatchObject({
      device: "dev-alice",
      role: "owner",
      user: "alice",
      via: "relay",
      tool: "echo.low",
      args_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(rows[2]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(rows)).not.toContain('"hi"');
  });

  it("refuses a call that can only fail before asking anyone to approve it: files.write and run.program with no folder shared", async () => {
    const { safety } = harness({ tools: () => [filesWrite, runProgramTool(detectSandbox())] });
    for (const [tool, args] of [
      ["files.write", { path: "a.txt", content: "x" }],
      ["run.program", { argv: ["true"] }],
    ] as const) {
      await expect(safety.callTool(alice, tool, args, { origin: "t" })).rejects.toMatchObject({
        code: "denied",
        message: "no folders are shared with the agent (set ORA_TOOL_ROOTS)",
      });
    }
    expect(safety.approvals.list(alice)).toEqual([]);
    expect(safety.audit.tail(1)[0]).toMatchObject({ event: "policy", tool: "run.program", status: "denied" });

    const shared = harness({ tools: () => [filesWrite], env: { ORA_TOOL_ROOTS: mkdtempSync(join(tmpdir(), "ora-root-")) } });
    await expect(shared.safety.callTool(alice, "files.write", { path: "a.txt", content: "x" }, { origin: "t" })).resolves.toMatchObject({ status: "waiting" });
  });

  it("refuses to register a tool twice or under a name that is not plain lower-case ASCII", () => {
    const { safety } = harness();
    const tool = (name: string): Tool => ({ name, description: "", args: z.object({}), risk: "LOW", guestVisible: false, run: () => null });
    expect(() => safety.register(tool("echo.low"))).toThrow(/already registered/);
    for (const name of ["Echo", "echo low", "fichier.lire\u00e9", "a..b", ""]) expect(() => safety.register(tool(name))).toThrow(/lower-case ASCII/);
  });

  it("passes a cancelled call's abort reason through and audits it as cancelled", async () => {
    const slow: Tool = {
      name: "slow",
      description: "",
      args: z.object({}),
      risk: "LOW",
      guestVisible: false,
      run: (_a, { signal }) => new Promise((_r, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
    };
    const { safety } = harness({ tools: () => [slow] });
    const controller = new AbortController();
    const call = safety.callTool(alice, "slow", {}, { origin: "t", signal: controller.signal });
    controller.abort(new Error("cancelled by the client"));
    await expect(call).rejects.toThrow("cancelled by the client");
    expect(safety.audit.tail(1)[0]).toMatchObject({ event: "run", status: "cancelled" });
  });
});
