/**
 * The CLI's end of the local control channel (protocol.ts): one request, one answer, with a deadline.
 * Results are parsed with the method catalogue, exactly as a device's client does.
 */
import { AnswerPayload, type AppErrorCode, METHODS, type MethodName, type ParamsInput, parsePayload, type Result } from "@ora/protocol";
import { connect } from "node:net";
import { UserError } from "../errors.js";
import { controlSocketPath } from "./path.js";

/** The agent answered, and said no; `message` is safe to show. */
export class ControlError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

/** Nothing answers on the state directory's control socket; the CLI adds how to start the agent. */
export class AgentNotRunning extends UserError {
  constructor(readonly stateDir: string) {
    super(`the agent is not running on ${stateDir}`, 3);
    this.name = "AgentNotRunning";
  }
}

const NOT_UNDERSTOOD = "the agent sent an answer this CLI does not understand (are the agent and the CLI the same version?)";

export async function controlRequest<M extends MethodName>(stateDir: string, method: M, params: ParamsInput<M>, timeoutMs = 5000): Promise<Result<M>> {
  const answer = AnswerPayload.safeParse(parsePayload(await exchange(stateDir, JSON.stringify({ method, params }), timeoutMs)));
  if (!answer.success) throw new UserError(NOT_UNDERSTOOD, 3);
  if (!answer.data.ok) throw new ControlError(answer.data.error.code, answer.data.error.message);
  const result = METHODS[method].result.safeParse(answer.data.result);
  if (!result.success) throw new UserError(NOT_UNDERSTOOD, 3);
  return result.data as Result<M>;
}

/** Sends one line and resolves with the first line that comes back. */
function exchange(stateDir: string, line: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(controlSocketPath(stateDir));
    let buffered = "";
    const timer = setTimeout(() => fail(new UserError("the agent did not answer in time", 3)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${line}\n`));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const absent = error.code === "ENOENT" || error.code === "ECONNREFUSED" || error.code === "ENOTSOCK";
      fail(absent ? new AgentNotRunning(stateDir) : new UserError(`cannot reach the agent: ${error.code ?? error.message}`, 3));
    });
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      resolve(buffered.slice(0, newline));
    });
    socket.on("end", () => fail(new UserError("the agent closed the connection without answering", 3)));
  });
}
