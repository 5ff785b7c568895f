/**
 * An MCP server's tools as ORA tools. The server describes them; the owner rates them: each is HIGH
 * (waits for an approval) unless mcp.json names it with another risk, and no guest ever sees one unless
 * mcp.json marks it `"guests": true`. Everything else about a call (approval, audit, rate limits) is
 * the enforcement point's, exactly as for built-in tools.
 */
import { ErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Logger } from "../log.js";
import { ToolError, type Risk, type Tool } from "../safety/tool.js";
import type { McpConfig, McpToolSetting } from "./config.js";
import type { McpConnection, McpToolDefinition } from "./connection.js";
import { oraToolName } from "./names.js";
import { blankControls } from "../text.js";

export const MCP_DEFAULT_RISK: Risk = "HIGH";
export const MCP_MAX_ARGS_BYTES = 65_536;
export const MCP_MAX_SCHEMA_BYTES = 65_536;
export const MCP_MAX_RESULT_CHARS = 100_000;
const MAX_DESCRIPTION_CHARS = 1_000;
const MAX_ERROR_CHARS = 2_000;

export type McpArgs = Record<string, unknown>;

/**
 * The arguments' shape is the server's JSON Schema, which the server checks itself; here they only
 * have to be a JSON object of bounded size. The registry offers models the server's schema (Tool.jsonSchema).
 */
const McpArgsSchema: z.ZodType<McpArgs> = z
  .record(z.string(), z.unknown())
  .refine((args) => Buffer.byteLength(JSON.stringify(args)) <= MCP_MAX_ARGS_BYTES, `the arguments are larger than ${MCP_MAX_ARGS_BYTES} bytes`);

/** The owner's setting for a tool, looked up as "<server>.<tool as the server names it>" or by its ORA suffix. */
export function settingFor(config: McpConfig, server: string, tool: string, name: string): { key?: string; setting: McpToolSetting } {
  for (const key of [`${server}.${tool}`, name.slice("mcp.".length)]) {
    const setting = config.tools[key];
    if (setting) return { key, setting };
  }
  return { setting: {} };
}

/** Turns one server's listed tools into ORA tools; returns the keys of `config.tools` it used. */
export function toolsOf(
  connection: McpConnection,
  listed: readonly McpToolDefinition[],
  config: McpConfig,
  log: Logger,
): { tools: Tool<McpArgs>[]; usedKeys: Set<string> } {
  const server = connection.server.name;
  const tools: Tool<McpArgs>[] = [];
  const usedKeys = new Set<string>();
  const names = new Set<string>();
  for (const definition of listed) {
    const name = oraToolName(server, definition.name);
    const skip = (reason: string) => log.warn("mcp tool skipped", { server, tool: JSON.stringify(definition.name).slice(0, 140), reason });
    if (name === undefined) {
      skip("its name cannot be made a plain ASCII tool name");
      continue;
    }
    if (names.has(name)) {
      skip(`another tool of this server is already called ${name}`);
      continue;
    }
    const schemaBytes = Buffer.byteLength(JSON.stringify(definition.inputSchema));
    if (schemaBytes > MCP_MAX_SCHEMA_BYTES) {
      skip(`its argument schema is larger than ${MCP_MAX_SCHEMA_BYTES} bytes`);
      continue;
    }
    names.add(name);
    const { key, setting } = settingFor(config, server, definition.name, name);
    if (key) usedKeys.add(key);
    tools.push(mcpTool(connection, definition, name, setting));
  }
  return { tools, usedKeys };
}

function mcpTool(connection: McpConnection, definition: McpToolDefinition, name: string, setting: McpToolSetting): Tool<McpArgs> {
  const server = connection.server.name;
  const text = definition.description ?? definition.title ?? definition.annotations?.title ?? "";
  return {
    name,
    description: `${clean(text).slice(0, MAX_DESCRIPTION_CHARS) || definition.name} (tool "${definition.name}" of MCP server "${server}")`,
    args: McpArgsSchema,
    jsonSchema: definition.inputSchema,
    risk: setting.risk ?? MCP_DEFAULT_RISK,
    guestVisible: setting.guests === true,
    async run(args, { signal }) {
      let result: CallToolResult;
      try {
        result = await connection.call(definition.name, args, signal);
      } catch (error) {
        throw toToolError(error, signal, name);
      }
      const { text, truncated } = resultText(result);
      if (result.isError) throw new ToolError("failed", `${name}: ${text.slice(0, MAX_ERROR_CHARS) || "the server reported an error"}`);
      return truncated ? { text, truncated } : { text };
    },
  };
}

function toToolError(error: unknown, signal: AbortSignal, name: string): unknown {
  // A cancelled call is the caller's doing: the registry reports it as such.
  if (signal.aborted) return error;
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return new ToolError("timeout", `${name} took too long`);
    if (error.code === ErrorCode.InvalidParams) return new ToolError("bad_args", `${name}: ${clean(error.message).slice(0, MAX_ERROR_CHARS)}`);
    if (error.code !== ErrorCode.ConnectionClosed) return new ToolError("failed", `${name}: ${clean(error.message).slice(0, MAX_ERROR_CHARS)}`);
  }
  // Transport failures carry local details (paths, ports); the requester only learns the server is away.
  return new ToolError("failed", `${name}: its MCP server is not available`);
}

/** The text of a result: text parts as they are, other parts named, structured content as JSON when there is no text. */
export function resultText(result: CallToolResult): { text: string; truncated: boolean } {
  const parts = result.content.map((part) => {
    switch (part.type) {
      case "text":
        return part.text;
      case "resource":
        return "text" in part.resource ? part.resource.text : `[binary resource ${part.resource.uri}]`;
      case "resource_link":
        return `[resource ${part.uri}]`;
      default:
        return `[${part.type} ${part.mimeType}, ${part.data.length} base64 characters left out]`;
    }
  });
  let text = parts.join("\n");
  if (text === "" && result.structuredContent !== undefined) text = JSON.stringify(result.structuredContent);
  return text.length > MCP_MAX_RESULT_CHARS ? { text: text.slice(0, MCP_MAX_RESULT_CHARS), truncated: true } : { text, truncated: false };
}

const clean = (text: string) => blankControls(text).trim();
