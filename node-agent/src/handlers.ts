/**
 * The agent's request handlers, one per method of the protocol's catalogue (protocol/src/methods/).
 * A handler can only be registered for a method the catalogue has, and the compiler holds its params,
 * chunks and result to the catalogue's schemas. Every transport (the relay connection, the local
 * control socket) hands requests to dispatch(), the one place that checks the method, the caller's
 * role and the params before a handler runs.
 */
import {
  type AnswerPayload,
  type AppErrorCode,
  type Chunk,
  isMethodName,
  METHODS,
  type MethodName,
  type Params,
  type Requester,
  type Result,
  useEnglishSchemaMessages,
} from "@ora/protocol";
import { setTimeout as sleep } from "node:timers/promises";
import { hostname } from "node:os";
import { AGENT_VERSION } from "./version.js";

// Parameter errors go back to the device as text: English messages, not zod/mini's bare "Invalid input".
useEnglishSchemaMessages();

/** Who is calling, from this PC's own records: the requester, and how people should see it named. */
export interface Caller {
  requester: Requester;
  /** "Pixel 9", or "the local CLI". */
  name: string;
}

export interface HandlerContext<M extends MethodName = MethodName> extends Caller {
  signal: AbortSignal;
  /**
   * Sends one stream chunk to the caller (the handler's return value becomes the stream's final
   * answer). Settles once the chunk went: a handler that awaits it produces no faster than the
   * caller reads (stream credit); chunks not awaited wait in order.
   */
  emit(chunk: Chunk<M>): Promise<void>;
}

export type Handler<M extends MethodName> = (params: Params<M>, context: HandlerContext<M>) => Result<M> | Promise<Result<M>>;

/** An error whose message is safe to show the caller; anything else is reported as "failed". */
export class HandlerError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Dispatch {
  signal: AbortSignal;
  emit(chunk: unknown): void | Promise<void>;
  /** Told of an error no handler meant to show (its message stays on this PC). */
  onUnexpected?(error: unknown): void;
}

export class HandlerRegistry {
  private readonly handlers = new Map<MethodName, Handler<MethodName>>();

  register<M extends MethodName>(method: M, handler: Handler<M>): this {
    if (!isMethodName(method)) throw new Error(`${method} is not in the protocol's method catalogue`);
    if (this.handlers.has(method)) throw new Error(`handler ${method} is already registered`);
    this.handlers.set(method, handler as unknown as Handler<MethodName>);
    return this;
  }

  methods(): MethodName[] {
    return [...this.handlers.keys()].sort();
  }

  /** Runs one request for `caller` and says how it ended; never throws. */
  async dispatch(method: string, params: unknown, caller: Caller, options: Dispatch): Promise<AnswerPayload> {
    try {
      if (!isMethodName(method)) throw new HandlerError("unknown_method", `no method ${method}`);
      // The role first: a device learns nothing of methods that are not for it, offered here or not.
      const spec = METHODS[method];
      if (!(spec.roles as readonly string[]).includes(caller.requester.role)) {
        throw new HandlerError("forbidden", `${method} is for ${spec.roles.join(" and ")} devices`);
      }
      const handler = this.handlers.get(method);
      if (!handler) throw new HandlerError("unknown_method", `no method ${method}`);
      const parsed = spec.params.safeParse(params);
      if (!parsed.success) throw new HandlerError("bad_params", parsed.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; "));
      const emit = async (chunk: unknown) => options.emit(chunk);
      const result = await handler(parsed.data as Params<MethodName>, { ...caller, signal: options.signal, emit });
      return { ok: true, result };
    } catch (error) {
      if (error instanceof HandlerError) return { ok: false, error: { code: error.code, message: error.message.slice(0, 500) } };
      if (options.signal.aborted) return { ok: false, error: { code: "cancelled", message: "cancelled" } };
      options.onUnexpected?.(error);
      return { ok: false, error: { code: "failed", message: "the handler failed" } };
    }
  }
}

/** Diagnostics every agent answers: reachability, round trips, streaming and cancellation. */
export function builtinHandlers(): HandlerRegistry {
  return new HandlerRegistry()
    .register("ping", () => ({ pong: true as const, time: new Date().toISOString() }))
    .register("whoami", (_params, { requester, name }) => ({
      device: requester.device,
      name,
      role: requester.role,
      pc: { name: hostname().slice(0, 64) || "PC", version: AGENT_VERSION },
    }))
    .register("echo", (params) => params)
    .register("echo.stream", async ({ text, count, delayMs }, { emit, signal }) => {
      for (let i = 0; i < count; i++) {
        if (delayMs > 0) await sleep(delayMs, undefined, { signal });
        signal.throwIfAborted();
        await emit({ i, text });
      }
      return { count };
    })
    .register("sleep", async ({ ms }, { signal }) => {
      await sleep(ms, undefined, { signal });
      return { slept: ms };
    });
}
