/**
 * The published "everything" MCP server: over streamable HTTP on 127.0.0.1 and over stdio, plus servers
 * that fail to start. Every call here goes through a real safety core.
 */
import { describe, expect, it } from "vitest";
import { ranNow } from "../helpers/calls.js";
import { parseMcpConfig, startMcp, type McpConfig } from "../../node-agent/src/mcp/index.js";
import { createSafety, ToolError, type Requester } from "../../node-agent/src/safety/index.js";
import { runAgentCommand } from "../helpers/agent.js";
import { EVERYTHING_SERVER, isRunning, onCleanup, recordingLog, startEverythingHttp, tempDir } from "./helpers.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const owner: Requester = { device: "dev-owner-laptop", role: "owner", user: "owner", via: "relay", session: "s-owner" };

async function agentWith(config: McpConfig) {
  const { log, lines } = recordingLog();
  const mcp = await startMcp(config, log, { connectTimeoutMs: 10_000 });
  onCleanup(() => mcp.close());
  const safety = createSafety({ stateDir: tempDir("ora-mcp-state-"), profile: "private", env: {}, tools: mcp.tools });
  onCleanup(() => safety.close());
  return { mcp, safety, lines };
}

describe("MCP over streamable HTTP", () => {
  it("lists and calls a local server's tools", async () => {
    const { url } = await startEverythingHttp();
    const { safety, mcp } = await agentWith(
      parseMcpConfig({ servers: [{ name: "web", url }], tools: { "web.echo": { risk: "LOW" }, "web.get-sum": { risk: "MEDIUM" } } }),
    );
    expect(mcp.servers).toMatchObject([{ name: "web", transport: "http" }]);
    expect(mcp.servers[0]!.error).toBeUndefined();
    const tools = safety.listTools(owner);
    expect(tools.find((t) => t.name === "mcp.web.echo")).toMatchObject({ risk: "LOW" });
    expect(tools.find((t) => t.name === "mcp.web.get_env")).toMatchObject({ risk: "HIGH" });
    await expect(ranNow(safety.callTool(owner, "mcp.web.echo", { message: "hello over http" }, { origin: "test" }))).resolves.toEqual({
      text: "Echo: hello over http",
    });
    const sum = (await ranNow(safety.callTool(owner, "mcp.web.get_sum", { a: 2, b: 40 }, { origin: "test" }))) as { text: string };
    expect(sum.text).toContain("42");
  });

  it("refuses to connect to anything but this PC, even if the config check were bypassed", async () => {
    const { log, lines } = recordingLog();
    const config = { servers: [{ name: "far", transport: "http" as const, url: "http://example.invalid/mcp" }], tools: {} };
    const mcp = await startMcp(config, log, { connectTimeoutMs: 5_000 });
    onCleanup(() => mcp.close());
    expect(mcp.tools).toEqual([]);
    expect(mcp.servers[0]!.error).toBeDefined();
    expect(lines.join("")).toContain('mcp server skipped server="far"');
  });
});

describe("MCP over stdio with the everything server", () => {
  it("times a slow call out as a ToolError, and keeps image content out of the text", async () => {
    const { safety } = await agentWith(
      parseMcpConfig({
        servers: [{ name: "ev", command: EVERYTHING_SERVER, timeoutMs: 1_000 }],
        tools: { "ev.trigger-long-running-operation": { risk: "LOW" }, "ev.get-tiny-image": { risk: "LOW" } },
      }),
    );
    const slow = await safety.callTool(owner, "mcp.ev.trigger_long_running_operation", { duration: 5, steps: 5 }, { origin: "test" }).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(ToolError);
    expect((slow as ToolError).code).toBe("timeout");
    const image = (await ranNow(safety.callTool(owner, "mcp.ev.get_tiny_image", {}, { origin: "test" }))) as { text: string };
    expect(image.text).toMatch(/\[image image\/png, \d+ base64 characters left out\]/);
  });

  it("stops waiting for a call when the caller cancels it", async () => {
    const { safety } = await agentWith(
      parseMcpConfig({ servers: [{ name: "ev", command: EVERYTHING_SERVER }], tools: { "ev.trigger-long-running-operation": { risk: "LOW" } } }),
    );
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("the user closed the chat")), 200);
    const call = safety.callTool(owner, "mcp.ev.trigger_long_running_operation", { duration: 10, steps: 2 }, { origin: "test", signal: controller.signal });
    await expect(call).rejects.toThrow("the user closed the chat");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("skips a server that exits at start with a log line, and keeps the others", async () => {
    const { mcp, safety, lines } = await agentWith(
      parseMcpConfig({
        servers: [
          { name: "dies", command: process.execPath, args: ["-e", "console.error('cannot open the database'); process.exit(3)"] },
          { name: "missing", command: join(tempDir(), "no-such-server") },
          { name: "ev", command: EVERYTHING_SERVER },
        ],
      }),
    );
    expect(mcp.servers.map((s) => [s.name, s.error === undefined])).toEqual([
      ["dies", false],
      ["missing", false],
      ["ev", true],
    ]);
    const log = lines.join("");
    expect(log).toMatch(/warn mcp server skipped server="dies" .*stderr="cannot open the database"/);
    expect(log).toContain('mcp server skipped server="missing"');
    expect(safety.listTools(owner).some((t) => t.name === "mcp.ev.echo")).toBe(true);
    expect(safety.listTools(owner).some((t) => t.name.startsWith("mcp.dies."))).toBe(false);
    const pid = mcp.connections[2]!.pid!;
    await mcp.close();
    expect(isRunning(pid)).toBe(false);
  });
});

describe("ora-agent mcp", () => {
  it("lists each server's tools with their risks, and a server that failed with its reason", async () => {
    const stateDir = tempDir("ora-mcp-cli-");
    const config = {
      servers: [
        { name: "ev", command: EVERYTHING_SERVER },
        { name: "dies", command: process.execPath, args: ["-e", "process.exit(1)"] },
      ],
      tools: { "ev.echo": { risk: "LOW", guests: true } },
    };
    writeFileSync(join(stateDir, "mcp.json"), JSON.stringify(config));
    const text = await runAgentCommand(["mcp", "--state-dir", stateDir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/mcp\.ev\.echo\s+LOW\s+guests may be offered it/);
    expect(text.stdout).toMatch(/mcp\.ev\.get_env\s+HIGH\s+owner and sub-admins only/);
    expect(text.stdout).toContain("dies (stdio): not available");
    const json = await runAgentCommand(["mcp", "--state-dir", stateDir, "--json"]);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ name: "ev", transport: "stdio" });
  });

  it("reports a bad mcp.json plainly", async () => {
    const stateDir = tempDir("ora-mcp-cli-");
    writeFileSync(join(stateDir, "mcp.json"), JSON.stringify({ servers: [{ name: "web", url: "http://203.0.113.9:3001/mcp" }] }));
    const result = await runAgentCommand(["mcp", "--state-dir", stateDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("servers.0.url: must be an http(s) URL on this PC");
    expect(result.stderr).not.toContain("internal error");
  });
});
