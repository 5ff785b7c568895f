/**
 * How an MCP server's tool names become ORA tool names: `mcp.<server>.<tool>` in the registry's plain
 * lower-case ASCII (safety/names.ts), so a server cannot offer a name that looks like another tool's.
 * camelCase becomes snake_case and any other separator an underscore; a name with characters outside
 * the set the MCP specification recommends (ASCII letters, digits, `_`, `-`, `.`) is not translated at
 * all, and its tool is skipped.
 */
import { isValidToolName } from "../safety/names.js";

const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function oraToolName(server: string, tool: string): string | undefined {
  if (!MCP_TOOL_NAME.test(tool)) return undefined;
  const snake = tool
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const name = `mcp.${server}.${snake}`;
  return snake.length > 0 && isValidToolName(name) ? name : undefined;
}
