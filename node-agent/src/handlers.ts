/**
 * The agent's request handlers, by method name. Each declares a zod schema for its params; nothing
 * reaches a handler unvalidated. Tools with risk levels and approvals arrive on top of this registry.
 */
import type { AppErrorCode, Role } from "@ora/protocol";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";

export interface HandlerContext {
  signal: AbortSignal;
  session: string;
  /** The paired device asking, and its role, from this PC's own pairing records. */
  device: string;
  deviceName: string;
  role: Role;
  /** Sends one stream chunk to the caller; the return value becomes the stream's final answer. */
  emit(chunk: unknown): void;
}

export interface Handler<P = unknown> {
  description: string;
  params: z.ZodType<P>;
  run(params: P, context: HandlerContext): unknown;
}

/** An error whose message is safe to show the caller; anything else is reported as "failed". */
export class HandlerError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class HandlerRegistry {
  private readonly handlers = new Map<string, Handler>();

  register<P>(method: string, handler: Handler<P>): this {
    if (this.handlers.has(method)) throw new Error(`handler ${method} is already registered`);
    this.handlers.set(method, handler as Handler);
    return this;
  }

  get(method: string): Handler | undefined {
    return this.handlers.get(method);
  }

  methods(): string[] {
    return [...this.handlers.keys()].sort();
  }
}

/** Diagnostics every agent answers: reachability, round trips, streaming and cancellation. */
export function builtinHandlers(): HandlerRegistry {
  return new HandlerRegistry()
    .register("ping", {
      description: "Answers pong with the agent's clock.",
      params: z.unknown(),
      run: () => ({ pong: true, time: new Date().toISOString() }),
    })
    .register("whoami", {
      description: "Who this PC takes the caller to be: device id, name and role from its pairing record.",
      params: z.unknown(),
      run: (_params, { device, deviceName, role }) => ({ device, name: deviceName, role }),
    })
    .register("echo", {
      description: "Returns its params unchanged.",
      params: z.unknown(),
      run: (params) => params,
    })
    .register("echo.stream", {
      description: "Streams `text` back `count` times, `delayMs` apart.",
      params: z.object({
        text: z.string().max(65_536),
        count: z.number().int().min(1).max(10_000),
        delayMs: z.number().int().min(0).max(10_000).default(0),
      }),
      run: async ({ text, count, delayMs }, { emit, signal }) => {
        for (let i = 0; i < count; i++) {
          if (delayMs > 0) await sleep(delayMs, undefined, { signal });
          signal.throwIfAborted();
          emit({ i, text });
        }
        return { count };
      },
    })
    .register("sleep", {
      description: "Waits `ms` milliseconds (at most a minute); stops at once when cancelled.",
      params: z.object({ ms: z.number().int().min(0).max(60_000) }),
      run: async ({ ms }, { signal }) => {
        await sleep(ms, undefined, { signal });
        return { slept: ms };
      },
    });
}
