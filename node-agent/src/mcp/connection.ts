/**
 * One configured MCP server: a client connected over stdio (a child process the agent starts) or
 * streamable HTTP (a server on this PC). Connects on first use and again after the server went away
 * (a stdio server that crashed is started afresh on the next call); a call that was running when it
 * went away fails rather than being sent twice, since a tool may have side effects.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, Tool as McpToolDefinition } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.js";
import { isLocalUrl, type McpServerConfig } from "./config.js";
import { launchOf, type McpConfinement } from "./sandbox.js";
import { AGENT_VERSION } from "../version.js";

export type { McpToolDefinition };

export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Beyond this a server's tool list is cut: every tool is offered to a model, and a model's context is finite. */
const MAX_TOOLS_PER_SERVER = 256;
const MAX_LIST_PAGES = 16;
const STDERR_TAIL_CHARS = 2_000;

export class McpConnection {
  private client: Client | undefined;
  private transport: Transport | undefined;
  private connecting: Promise<Client> | undefined;
  private closed = false;
  private stderrTail = "";

  constructor(
    readonly server: McpServerConfig,
    private readonly log: Logger,
    private readonly connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
    private readonly confinement?: McpConfinement,
  ) {}

  /** The child process of a stdio server while it runs (tests stop it to check reconnecting). */
  get pid(): number | null {
    return this.transport instanceof StdioClientTransport ? this.transport.pid : null;
  }

  /** The last lines the stdio server wrote to stderr: the usual explanation of why it would not start. */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error(`MCP server ${this.server.name} is closed`));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async listTools(): Promise<McpToolDefinition[]> {
    const client = await this.connect();
    const tools: McpToolDefinition[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES && tools.length < MAX_TOOLS_PER_SERVER; page++) {
      const result = await client.listTools(cursor === undefined ? undefined : { cursor }, { timeout: this.connectTimeoutMs });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    if (tools.length > MAX_TOOLS_PER_SERVER)
      this.log.warn("mcp server offers too many tools; the rest are left out", { server: this.server.name, kept: MAX_TOOLS_PER_SERVER });
    return tools.slice(0, MAX_TOOLS_PER_SERVER);
  }

  async call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const client = await this.connect();
    const timeout = this.server.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    // maxTotalTimeout: progress notifications must not keep a call alive past its timeout.
    return (await client.callTool({ name, arguments: args }, undefined, { signal, timeout, maxTotalTimeout: timeout })) as CallToolResult;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const open = this.client ?? this.transport;
    this.client = undefined;
    this.transport = undefined;
    // Client.close closes its transport; for stdio that ends the child (stdin closed, then SIGTERM, then SIGKILL).
    await open?.close().catch(() => undefined);
  }

  private async open(): Promise<Client> {
    const transport = this.newTransport();
    const client = new Client({ name: "ora-agent", version: AGENT_VERSION }, { capabilities: {} });
    client.onclose = () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (!this.closed)
        this.log.warn("mcp server went away; it is reconnected on the next call", { server: this.server.name, stderr: this.stderr.slice(-500) || undefined });
    };
    this.transport = transport;
    try {
      await client.connect(transport, { timeout: this.connectTimeoutMs });
    } catch (error) {
      await transport.close().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.close().catch(() => undefined);
      throw new Error(`MCP server ${this.server.name} is closed`);
    }
    this.client = client;
    return client;
  }

  private newTransport(): Transport {
    const server = this.server;
    if (server.transport === "http") {
      return new StreamableHTTPClientTransport(new URL(server.url), { fetch: localFetch });
    }
    const launch = launchOf(server, this.confinement);
    const transport = new StdioClientTransport({ ...launch, env: server.env, stderr: "pipe" });
    // The pipe must be drained or a chatty server blocks on a full pipe; keep a tail for error messages.
    this.stderrTail = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
      this.log.debug("mcp server stderr", { server: server.name, text: text.trimEnd().slice(0, 500) });
    });
    return transport;
  }
}

/** fetch for HTTP servers: never follows a redirect, and never leaves this PC even if the SDK builds another URL. */
const localFetch = (url: string | URL, init?: RequestInit): Promise<Response> => {
  if (!isLocalUrl(String(url))) return Promise.reject(new Error("MCP HTTP servers must be on this PC"));
  return fetch(url, { ...init, redirect: "error" });
};
