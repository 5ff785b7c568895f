/**
 * Stdio MCP servers marked "sandbox": true: the published filesystem server, pointed at the home
 * folder, reads it when unconfined and finds it empty in the sandbox; without a sandbox such a server
 * is not started at all.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { launchOf, McpConnection, parseMcpConfig, resultText, startMcp, type StdioServerConfig } from "../../node-agent/src/mcp/index.js";
import { detectSandbox } from "../../node-agent/src/tools/sandbox/index.js";
import { FS_SERVER, onCleanup, recordingLog } from "./helpers.js";

const sandbox = detectSandbox(process.env);

/** A home folder outside /tmp (which the sandbox empties anyway), HOME pointing at it until the test ends. */
function fakeHome(): string {
  const home = realpathSync(mkdtempSync(join("/var/tmp", "ora-home-")));
  const before = process.env.HOME;
  process.env.HOME = home;
  onCleanup(() => {
    process.env.HOME = before;
    rmSync(home, { recursive: true, force: true });
  });
  return home;
}

function stdio(entry: Record<string, unknown>): StdioServerConfig {
  const server = parseMcpConfig({ servers: [{ name: "fs", command: FS_SERVER, ...entry }] }).servers[0]!;
  if (server.transport !== "stdio") throw new Error("expected a stdio server");
  return server;
}

async function readSecret(server: StdioServerConfig, path: string): Promise<string> {
  const { log } = recordingLog();
  const connection = new McpConnection(server, log, 30_000, { sandbox, roots: [], excluded: [] });
  onCleanup(() => connection.close());
  return resultText(await connection.call("read_text_file", { path }, new AbortController().signal)).text;
}

describe("MCP servers in the sandbox", () => {
  it('accepts "sandbox" and "network" on stdio servers, and "network" only with "sandbox"', () => {
    expect(stdio({})).toMatchObject({ sandbox: false, network: false });
    expect(stdio({ sandbox: true, network: true })).toMatchObject({ sandbox: true, network: true });
    expect(() => stdio({ network: true })).toThrow(/network: only applies with "sandbox": true/);
  });

  it("wraps only the servers that ask, and cuts their network unless allowed", () => {
    const confinement = { sandbox, roots: [], excluded: [] };
    expect(launchOf(stdio({ args: ["/srv"] }), confinement)).toEqual({ command: FS_SERVER, args: ["/srv"], cwd: undefined });
    const boxed = launchOf(stdio({ sandbox: true, args: ["/srv"] }), confinement);
    expect(boxed.command).toMatch(/\/bwrap$/);
    expect(boxed.args).toContain("--unshare-net");
    expect(boxed.args.slice(-3)).toEqual(["--", FS_SERVER, "/srv"]);
    expect(launchOf(stdio({ sandbox: true, network: true }), confinement).args).not.toContain("--unshare-net");
  });

  it("keeps a sandboxed server out of the home folder it was pointed at", async () => {
    const home = fakeHome();
    writeFileSync(join(home, "secret.txt"), "hunter2");
    expect(await readSecret(stdio({ args: [home] }), join(home, "secret.txt"))).toBe("hunter2");
    const confined = await readSecret(stdio({ args: [home], sandbox: true }), join(home, "secret.txt"));
    expect(confined).not.toContain("hunter2");
    expect(confined).toMatch(/ENOENT|no such file/i);
  });

  it("does not start a server that asks for a sandbox where there is none", async () => {
    const { log } = recordingLog();
    const none = detectSandbox({ ...process.env, ORA_SANDBOX: "off" });
    const mcp = await startMcp(parseMcpConfig({ servers: [{ name: "fs", command: FS_SERVER, args: ["/srv"], sandbox: true }] }), log, {
      confinement: { sandbox: none, roots: [], excluded: [] },
    });
    onCleanup(() => mcp.close());
    expect(mcp.servers).toEqual([
      { name: "fs", transport: "stdio", error: expect.stringContaining('"sandbox": true, but the sandbox is turned off'), tools: [] },
    ]);
    expect(mcp.connections[0]!.pid).toBeNull();
  });
});
