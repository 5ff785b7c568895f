/** The CLI's end of the local control channel: one request, one response, with a deadline. */
import { connect } from "node:net";
import { UserError } from "../errors.js";
import { controlSocketPath } from "./path.js";
import { ControlResponse, type ControlErrorCode, type ControlRequest } from "./protocol.js";

/** The agent answered, and said no; `message` is safe to show. */
export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

export const NOT_RUNNING = "the agent is not running (start it with ora-agent start)";

export function controlCall(stateDir: string, request: ControlRequest, timeoutMs = 5000): Promise<unknown> {
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
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const absent = error.code === "ENOENT" || error.code === "ECONNREFUSED" || error.code === "ENOTSOCK";
      fail(absent ? new UserError(NOT_RUNNING, 3) : new UserError(`cannot reach the agent: ${error.code ?? error.message}`, 3));
    });
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      let parsed: ReturnType<typeof ControlResponse.safeParse>;
      try {
        parsed = ControlResponse.safeParse(JSON.parse(buffered.slice(0, newline)));
      } catch {
        return reject(new UserError("the agent sent an answer this CLI does not understand", 3));
      }
      if (!parsed.success) return reject(new UserError("the agent sent an answer this CLI does not understand", 3));
      const response = parsed.data;
      if (response.ok) resolve(response.result);
      else reject(new ControlError(response.error.code, response.error.message));
    });
    socket.on("end", () => fail(new UserError("the agent closed the connection without answering", 3)));
  });
}
