import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../node-agent/src/errors.js";
import { loadMcpConfig, oraToolName, parseMcpConfig } from "../../node-agent/src/mcp/index.js";
import { tempDir } from "./helpers.js";

function refusal(value: unknown): string {
  try {
    parseMcpConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error("the config was accepted");
}

describe("mcp.json", () => {
  it("accepts stdio and local HTTP servers and fills in the defaults", () => {
    const config = parseMcpConfig({
      servers: [
        { name: "fs", command: "npx", args: ["mcp-server-filesystem", "/tmp"] },
        { name: "web", url: "http://127.0.0.1:3001/mcp" },
        { name: "web2", url: "http://localhost:3001/mcp" },
        { name: "web6", url: "https://[::1]:3001/mcp", timeoutMs: 5000 },
      ],
      tools: { "fs.read_file": { risk: "MEDIUM" } },
    });
    expect(config.servers.map((s) => s.transport)).toEqual(["stdio", "http", "http", "http"]);
    expect(config.servers[0]).toMatchObject({ env: {}, args: ["mcp-server-filesystem", "/tmp"] });
    expect(parseMcpConfig({})).toEqual({ servers: [], tools: {} });
  });

  it("refuses HTTP servers that are not on this PC", () => {
    for (const url of [
      "http://example.com/mcp",
      "http://10.0.0.5:3001/mcp",
      "http://127.0.0.1.nip.io/mcp",
      "http://[::ffff:127.0.0.1]/mcp",
      "http://0.0.0.0:3001/mcp",
      "ftp://localhost/mcp",
      "localhost:3001",
    ]) {
      const message = refusal({ servers: [{ name: "web", url }] });
      expect(message, url).toMatch(/servers\.0\.url: (must be an http\(s\) URL on this PC|is not a URL)/);
    }
  });

  it("says which entry is wrong and why", () => {
    expect(refusal({ servers: [{ name: "Bad.Name", command: "x" }] })).toContain("servers.0.name");
    expect(
      refusal({
        servers: [
          { name: "a", command: "x" },
          { name: "a", command: "y" },
        ],
      }),
    ).toContain('servers.1.name: "a" is used twice');
    expect(refusal({ servers: [{ name: "a", command: "x", url: "http://localhost/" }] })).toContain("servers.0");
    expect(refusal({ servers: [{ name: "a" }] })).toContain("servers.0.command");
    expect(refusal({ servers: [{ name: "a", command: "x", env: { "BAD NAME": "1" } }] })).toContain("servers.0.env");
    expect(refusal({ tools: { "fs.read_file": { risk: "NONE" } } })).toContain("tools.fs.read_file.risk");
    expect(refusal({ tools: { "fs.read_file": { risky: true } } })).toContain("tools.fs.read_file");
    expect(refusal({ server: [] })).toContain("server");
    expect(refusal([])).toContain("(top level)");
  });

  it("reads the file from the state directory, with no file meaning no servers", () => {
    const stateDir = tempDir();
    expect(loadMcpConfig(stateDir).servers).toEqual([]);
    writeFileSync(join(stateDir, "mcp.json"), '{"servers": [');
    expect(() => loadMcpConfig(stateDir)).toThrow(/mcp\.json is not valid JSON/);
    writeFileSync(join(stateDir, "mcp.json"), '{"servers": [{"name": "web", "url": "http://192.168.1.2/mcp"}]}');
    expect(() => loadMcpConfig(stateDir)).toThrow(UserError);
    mkdirSync(join(stateDir, "sub"));
    writeFileSync(join(stateDir, "sub", "mcp.json"), '{"servers": [{"name": "fs", "command": "mcp-server-filesystem"}]}');
    expect(loadMcpConfig(join(stateDir, "sub")).servers[0]!.name).toBe("fs");
  });
});

describe("MCP tool names", () => {
  it("become plain lower-case ASCII names under mcp.<server>", () => {
    expect(oraToolName("fs", "read_file")).toBe("mcp.fs.read_file");
    expect(oraToolName("ev", "trigger-long-running-operation")).toBe("mcp.ev.trigger_long_running_operation");
    expect(oraToolName("gh", "listIssues")).toBe("mcp.gh.list_issues");
    expect(oraToolName("gh", "repo.search")).toBe("mcp.gh.repo_search");
  });

  it("are refused when they cannot be made safe", () => {
    for (const name of ["rеad_file", "read file", "", "___", "x".repeat(200), "read\u200bfile", "ｒｅａｄ"])
      expect(oraToolName("fs", name), name).toBeUndefined();
    expect(oraToolName("fs", "a".repeat(64))).toBeUndefined();
  });
});
