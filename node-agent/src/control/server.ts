/**
 * The running agent's end of the local control channel (protocol.ts): newline-delimited JSON over a
 * Unix socket (`<stateDir>/control.sock`, 0600 inside the 0700 state directory), each line handed to
 * the same handler registry as the relay's requests, as the local owner.
 */
import { type AnswerPayload, parsePayload, RequestPayload } from "@ora/protocol";
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { UserError } from "../errors.js";
import type { Caller, HandlerRegistry } from "../handlers.js";
import type { Logger } from "../log.js";
import { LOCAL_OWNER } from "../safety/requester.js";
import { ensureStateDir } from "../state.js";
import { controlSocketPath, MAX_SOCKET_PATH_BYTES } from "./path.js";
import { LOCAL_NAME, MAX_LINE_BYTES } from "./protocol.js";

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

const LOCAL: Caller = { requester: LOCAL_OWNER, name: LOCAL_NAME };

export async function startControlServer(handlers: HandlerRegistry, stateDir: string, log?: Logger): Promise<ControlServer> {
  ensureStateDir(stateDir);
  const path = controlSocketPath(stateDir);
  if (process.platform !== "win32") {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
      throw new Error(`the control socket path ${path} is too long for a Unix socket; use a shorter --state-dir`);
    await removeStaleSocket(path);
  }
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    serve(socket, handlers, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (process.platform !== "win32") chmodSync(path, 0o600);
  return {
    path,
    close: () => closeServer(server, connections),
  };
}

function serve(socket: Socket, handlers: HandlerRegistry, log: Logger | undefined): void {
  let buffered = "";
  // Answers go back in the order the requests came, even when a later one finishes first.
  let queue = Promise.resolve();
  const controller = new AbortController();
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy());
  socket.on("close", () => controller.abort());
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.trim()) continue;
      const answer = handle(line, handlers, controller.signal, log);
      queue = queue.then(async () => {
        const body = await answer;
        if (!socket.destroyed) socket.write(`${JSON.stringify(body)}\n`);
      });
    }
    if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
      socket.end(`${JSON.stringify(refusal("bad_params", "request line too long"))}\n`);
      buffered = "";
    }
  });
}

/** One request line → its answer. Streamed chunks are not relayed: the CLI's methods answer once. */
export function handle(line: string, handlers: HandlerRegistry, signal: AbortSignal, log?: Logger): Promise<AnswerPayload> {
  const request = RequestPayload.safeParse(parsePayload(line));
  if (!request.success) return Promise.resolve(refusal("bad_params", 'a request is one JSON object per line: {"method":"…","params":{…}}'));
  return handlers.dispatch(request.data.method, request.data.params, LOCAL, {
    signal,
    emit: () => undefined,
    onUnexpected: (error) =>
      log?.error("control request failed", { method: request.data.method, error: error instanceof Error ? error.message : String(error) }),
  });
}

function refusal(code: "bad_params", message: string): AnswerPayload {
  return { ok: false, error: { code, message } };
}

/** A socket file left by an agent that died is removed; one that still answers means an agent is running. */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) throw new UserError("another ora-agent is already running with this state directory (stop it first, or use another --state-dir)");
  unlinkSync(path);
}

function closeServer(server: Server, connections: Set<Socket>): Promise<void> {
  for (const socket of connections) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
