import { join } from "node:path";
import { createLogger } from "../log.js";
import { loadMcpConfig, MCP_CONFIG_FILE, startMcp } from "../mcp/index.js";
import { detectSandbox, toolConfigFromEnv } from "../tools/index.js";
import { configFrom, type Command } from "./command.js";

export const mcpCommand: Command = {
  usage: `Usage: ora-agent mcp [--json] [--verbose]

Reads this profile's ${MCP_CONFIG_FILE}, starts or connects to each MCP server in it,
lists the tools each offers as the secretary sees them (mcp.<server>.<tool>, the
risk, whether guests may be offered it), then disconnects. Servers that fail are
shown with the reason. Every MCP tool is HIGH (each call waits for your approval)
unless ${MCP_CONFIG_FILE} sets another risk for it. See docs/MCP.md.`,
  options: { json: { type: "boolean" }, verbose: { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags);
    const path = join(config.stateDir, MCP_CONFIG_FILE);
    const mcpConfig = loadMcpConfig(config.stateDir);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (mcpConfig.servers.length === 0) {
      out(flags.json ? "[]" : `no MCP servers configured (${path})`);
      return 0;
    }
    const tools = toolConfigFromEnv(process.env, config.stateDir);
    const confinement = { sandbox: detectSandbox(process.env), roots: tools.roots, excluded: tools.excluded ?? [] };
    const mcp = await startMcp(mcpConfig, createLogger(flags.verbose ? "debug" : "error"), { confinement });
    try {
      if (flags.json) {
        out(JSON.stringify(mcp.servers, null, 2));
      } else {
        for (const server of mcp.servers) {
          out(`${server.name} (${server.transport}): ${server.error === undefined ? `${server.tools.length} tool(s)` : `not available: ${server.error}`}`);
          for (const tool of server.tools)
            out(`  ${tool.name.padEnd(40)} ${tool.risk.padEnd(8)} ${tool.guests ? "guests may be offered it" : "owner and sub-admins only"}`);
        }
      }
      // 1 when a server is not available, so a script can tell.
      return mcp.servers.some((server) => server.error !== undefined) ? 1 : 0;
    } finally {
      await mcp.close();
    }
  },
};
