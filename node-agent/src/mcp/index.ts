/**
 * MCP servers as tool sources. start.ts loads `<stateDir>/mcp.json`, starts the servers and passes
 * their tools to createSafety next to the built-in ones, and closes them on the way out:
 *
 *     const mcp = await startMcp(loadMcpConfig(config.stateDir), log);
 *     const safety = createSafety({ …, tools: [...builtinTools(), ...mcp.tools] });
 *     …
 *     await mcp.close();
 *
 * A server that fails to start or to list its tools is logged and left out; the agent runs without it.
 */
import type { Logger } from "../log.js";
import type { Risk, Tool } from "../safety/tool.js";
import type { McpConfig } from "./config.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, McpConnection } from "./connection.js";
import type { McpConfinement } from "./sandbox.js";
import { toolsOf, type McpArgs } from "./tools.js";

export interface McpServerStatus {
  name: string;
  transport: "stdio" | "http";
  /** Why the server was left out; absent when it is connected. */
  error?: string;
  tools: { name: string; risk: Risk; guests: boolean }[];
}

export interface McpTools {
  tools: Tool<McpArgs>[];
  servers: McpServerStatus[];
  /** One per configured server, in config order (also those that failed to start). */
  connections: readonly McpConnection[];
  /** Disconnects every server and ends the processes of stdio servers. */
  close(): Promise<void>;
}

export interface StartMcpOptions {
  /** How long a server may take to start and list its tools. */
  connectTimeoutMs?: number;
  /** The sandbox and folders for servers marked `"sandbox": true` (see launchOf). */
  confinement?: McpConfinement;
}

export async function startMcp(config: McpConfig, log: Logger, options: StartMcpOptions = {}): Promise<McpTools> {
  const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const connections = config.servers.map((server) => new McpConnection(server, log, timeout, options.confinement));
  const results = await Promise.all(connections.map((connection) => start(connection, config, log)));
  const usedKeys = new Set(results.flatMap((result) => [...result.usedKeys]));
  const connected = new Set(results.filter((result) => result.status.error === undefined).map((result) => result.status.name));
  for (const key of Object.keys(config.tools)) {
    // Only a connected server's tools are known; a setting for an unknown one is probably a typo.
    const server = key.slice(0, key.indexOf("."));
    if (!usedKeys.has(key) && connected.has(server)) log.warn("mcp.json names a tool its server does not offer", { tool: key });
  }
  return {
    tools: results.flatMap((result) => result.tools),
    servers: results.map((result) => result.status),
    connections,
    close: async () => {
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
}

async function start(connection: McpConnection, config: McpConfig, log: Logger) {
  const { name, transport } = connection.server;
  try {
    const { tools, usedKeys } = toolsOf(connection, await connection.listTools(), config, log);
    log.info("mcp server connected", { server: name, transport, tools: tools.length });
    return { tools, usedKeys, status: { name, transport, tools: tools.map((t) => ({ name: t.name, risk: t.risk, guests: t.guestVisible })) } };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.warn("mcp server skipped", { server: name, transport, reason: reason.slice(0, 300), stderr: connection.stderr.slice(-500) || undefined });
    await connection.close();
    return { tools: [], usedKeys: new Set<string>(), status: { name, transport, error: reason.slice(0, 300), tools: [] } };
  }
}

export {
  isLocalUrl,
  loadMcpConfig,
  MCP_CONFIG_FILE,
  McpConfigSchema,
  parseMcpConfig,
  type HttpServerConfig,
  type McpConfig,
  type McpServerConfig,
  type McpToolSetting,
  type StdioServerConfig,
} from "./config.js";
export { McpConnection, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS } from "./connection.js";
export { oraToolName } from "./names.js";
export { launchOf, type McpConfinement, type StdioLaunch } from "./sandbox.js";
export { MCP_DEFAULT_RISK, MCP_MAX_ARGS_BYTES, MCP_MAX_RESULT_CHARS, resultText, type McpArgs } from "./tools.js";
