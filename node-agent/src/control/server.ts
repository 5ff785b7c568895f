/**
 * The running agent's end of the local control channel: newline-delimited JSON over a Unix socket
 * (`<stateDir>/control.sock`, 0600 inside the 0700 state directory). Everything arriving here acts as
 * the local owner, so the socket's permissions are the authentication.
 */
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { ApprovalError } from "../safety/approvals.js";
import type { Safety } from "../safety/index.js";
import { LOCAL_OWNER } from "../safety/requester.js";
import { UserError } from "../errors.js";
import { ensureStateDir } from "../state.js";
import { controlSocketPath, MAX_SOCKET_PATH_BYTES } from "./path.js";
import { ControlRequest, MAX_LINE_BYTES, type ControlErrorCode, type ControlResponse } from "./protocol.js";

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

export async function startControlServer(safety: Safety, stateDir: string): Promise<ControlServer> {
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
    serve(socket, safety);
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

function serve(socket: Socket, safety: Safety): void {
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) socket.write(`${JSON.stringify(handle(line, safety))}\n`);
    }
    if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
      socket.end(`${JSON.stringify(failure("bad_request", "request line too long"))}\n`);
      buffered = "";
    }
  });
}

export function handle(line: string, safety: Safety): ControlResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return failure("bad_request", "a request is one JSON object per line");
  }
  const parsed = ControlRequest.safeParse(raw);
  if (!parsed.success) return failure("bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; "));
  const request = parsed.data;
  try {
    switch (request.op) {
      case "approvals.list":
        return { ok: true, result: safety.approvals.list(LOCAL_OWNER) };
      case "approvals.decide": {
        const decision = request.code === undefined ? { verdict: request.verdict } : { verdict: request.verdict, code: request.code };
        return { ok: true, result: { id: request.id, status: safety.approvals.decide(request.id, decision, LOCAL_OWNER) } };
      }
      case "audit.tail":
        return { ok: true, result: safety.audit.tail(request.limit) };
    }
  } catch (error) {
    if (error instanceof ApprovalError) return failure(error.code, error.message);
    return failure("failed", "the agent could not do that; see its log");
  }
}

function failure(code: ControlErrorCode, message: string): ControlResponse {
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
