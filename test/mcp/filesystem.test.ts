/**
 * The published filesystem MCP server, started over stdio, with its tools registered in a real safety
 * core: risks, who sees what, approvals before HIGH calls, and the real results.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMcpConfig, startMcp } from "../../node-agent/src/mcp/index.js";
import { createSafety, LOCAL_OWNER, ToolError, type Requester } from "../../node-agent/src/safety/index.js";
import { decidedCall, ranNow } from "../helpers/calls.js";
import { FS_SERVER, isRunning, onCleanup, recordingLog, tempDir, waitUntil } from "./helpers.js";

const owner: Requester = { device: "dev-owner-phone", role: "owner", user: "owner", via: "relay", session: "s-owner" };
const guest: Requester = { device: "dev-guest", role: "guest", user: "dev-guest", via: "relay", session: "s-guest" };

async function filesystemAgent(
  tools: Record<string, { risk?: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"; guests?: boolean }> = {},
  profile: "private" | "shared" = "private",
  env: NodeJS.ProcessEnv = {},
) {
  const files = tempDir("ora-mcp-files-");
  writeFileSync(join(files, "plan.txt"), "step one: approve MCP calls\n");
  const { log, lines } = recordingLog();
  const mcp = await startMcp(parseMcpConfig({ servers: [{ name: "fs", command: FS_SERVER, args: [files] }], tools }), log);
  onCleanup(() => mcp.close());
  const safety = createSafety({ stateDir: tempDir("ora-mcp-state-"), profile, env, tools: mcp.tools });
  onCleanup(() => safety.close());
  return { files, mcp, safety, lines };
}

async function refusal(promise: Promise<unknown>): Promise<ToolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolError);
  return error as ToolError;
}

describe("MCP tools from the filesystem server", () => {
  it("are offered to the owner as HIGH with the server's own argument schema, and to a guest not at all", async () => {
    const { safety } = await filesystemAgent({ "fs.list_directory": { risk: "MEDIUM" } });
    const tools = safety.listTools(owner);
    const read = tools.find((t) => t.name === "mcp.fs.read_text_file");
    expect(read).toMatchObject({ risk: "HIGH", needsApproval: true });
    expect(read!.description).toContain('MCP server "fs"');
    expect(read!.parameters).toMatchObject({ type: "object", properties: { path: { type: "string" } }, required: ["path"] });
    expect(tools.find((t) => t.name === "mcp.fs.list_directory")).toMatchObject({ risk: "MEDIUM", needsApproval: false });
    expect(tools.filter((t) => t.name.startsWith("mcp.fs.")).every((t) => t.name === "mcp.fs.list_directory" || t.risk === "HIGH")).toBe(true);
    expect(safety.listTools(guest)).toEqual([]);
  });

  it("runs a HIGH call only after the owner approves it, and returns the file's real text", async () => {
    const { safety, files } = await filesystemAgent();
    const { result, approval } = await decidedCall(safety, LOCAL_OWNER, owner, "mcp.fs.read_text_file", { path: join(files, "plan.txt") });
    expect(result).toEqual({ text: "step one: approve MCP calls\n" });
    expect(safety.approvals.get(approval)?.status).toBe("used");
  });

  it("does not run a HIGH call the owner denies", async () => {
    const { safety, files } = await filesystemAgent();
    const call = decidedCall(safety, LOCAL_OWNER, owner, "mcp.fs.write_file", { path: join(files, "evil.txt"), content: "x" }, "deny");
    await expect(call).rejects.toMatchObject({ code: "denied" });
    expect(existsSync(join(files, "evil.txt"))).toBe(false);
  });

  it("runs a tool the owner lowered to MEDIUM at once", async () => {
    const { safety, files } = await filesystemAgent({ "fs.list_directory": { risk: "MEDIUM" } });
    const listing = (await ranNow(safety.callTool(owner, "mcp.fs.list_directory", { path: files }, { origin: "test" }))) as { text: string };
    expect(listing.text).toContain("[FILE] plan.txt");
  });

  it("refuses a guest as if the tool did not exist, and offers a guest only a LOW tool marked for guests", async () => {
    const { safety, files } = await filesystemAgent({
      "fs.list_allowed_directories": { risk: "LOW", guests: true },
      "fs.list_directory": { risk: "MEDIUM", guests: true },
    });
    expect((await refusal(ranNow(safety.callTool(guest, "mcp.fs.read_text_file", { path: join(files, "plan.txt") }, { origin: "test" })))).code).toBe(
      "not_found",
    );
    // Private profile: guests get LOW tools only, whatever mcp.json says.
    expect((await refusal(ranNow(safety.callTool(guest, "mcp.fs.list_directory", { path: files }, { origin: "test" })))).code).toBe("not_found");
    expect(safety.listTools(guest).map((t) => t.name)).toEqual(["mcp.fs.list_allowed_directories"]);
    const allowed = (await ranNow(safety.callTool(guest, "mcp.fs.list_allowed_directories", {}, { origin: "test" }))) as { text: string };
    expect(allowed.text).toContain(files);
  });

  it("lets a guest of the shared profile use a tool marked for guests only when the allowlist names it too", async () => {
    const tools = { "fs.list_directory": { risk: "MEDIUM" as const, guests: true }, "fs.directory_tree": { risk: "MEDIUM" as const, guests: true } };
    const { safety, files } = await filesystemAgent(tools, "shared", { ORA_SHARED_GUEST_ALLOWED_TOOLS: "mcp.fs.list_directory,mcp.fs.read_text_file" });
    expect(safety.listTools(guest).map((t) => t.name)).toEqual(["mcp.fs.list_directory"]);
    const listing = (await ranNow(safety.callTool(guest, "mcp.fs.list_directory", { path: files }, { origin: "test" }))) as { text: string };
    expect(listing.text).toContain("plan.txt");
    expect((await refusal(ranNow(safety.callTool(guest, "mcp.fs.directory_tree", { path: files }, { origin: "test" })))).code).toBe("not_found");
    expect((await refusal(ranNow(safety.callTool(guest, "mcp.fs.read_text_file", { path: join(files, "plan.txt") }, { origin: "test" })))).code).toBe(
      "not_found",
    );
  });

  it("turns a tool's own error into a ToolError with the server's message", async () => {
    const { safety } = await filesystemAgent({ "fs.get_file_info": { risk: "MEDIUM" } });
    const error = await refusal(ranNow(safety.callTool(owner, "mcp.fs.get_file_info", { path: "/etc/passwd" }, { origin: "test" })));
    expect(error.code).toBe("failed");
    expect(error.message).toMatch(/^mcp\.fs\.get_file_info: .*(denied|outside)/i);
  });

  it("refuses arguments that are not a JSON object before the server sees them", async () => {
    const { safety } = await filesystemAgent({ "fs.list_directory": { risk: "MEDIUM" } });
    expect((await refusal(ranNow(safety.callTool(owner, "mcp.fs.list_directory", ["not", "an", "object"], { origin: "test" })))).code).toBe("bad_args");
    expect((await refusal(ranNow(safety.callTool(owner, "mcp.fs.list_directory", { path: 42 }, { origin: "test" })))).code).toMatch(/bad_args|failed/);
  });

  it("starts a stdio server again on the next call after it died, and ends its process on close", async () => {
    const { safety, mcp, files, lines } = await filesystemAgent({ "fs.list_directory": { risk: "MEDIUM" } });
    const connection = mcp.connections[0]!;
    const first = connection.pid!;
    expect(isRunning(first)).toBe(true);
    process.kill(first, "SIGKILL");
    await waitUntil(() => lines.some((line) => line.includes("mcp server went away")), "the agent notices the server died");
    const listing = (await ranNow(safety.callTool(owner, "mcp.fs.list_directory", { path: files }, { origin: "test" }))) as { text: string };
    expect(listing.text).toContain("plan.txt");
    const second = connection.pid!;
    expect(second).not.toBe(first);
    await mcp.close();
    expect(isRunning(second)).toBe(false);
    expect(connection.pid).toBeNull();
  });
});
