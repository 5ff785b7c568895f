/** Diagnostics every agent answers: reachability, identity, round trips, streaming, cancellation. */
import * as z from "zod/mini";
import { Role } from "../frames.js";
import { EVERYONE, method } from "./define.js";

export const diagnosticMethods = {
  ping: method({
    description: "Answers pong with the agent's clock.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ pong: z.literal(true), time: z.string() }),
  }),
  whoami: method({
    description: "Who this PC takes the caller to be: device id, name and role from its pairing record; and the PC's own name and agent version.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ device: z.string(), name: z.string(), role: Role, pc: z.optional(z.object({ name: z.string(), version: z.string() })) }),
  }),
  echo: method({
    description: "Returns its params unchanged.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.unknown(),
  }),
  "echo.stream": method({
    description: "Streams `text` back `count` times, `delayMs` apart.",
    roles: EVERYONE,
    params: z.object({
      text: z.string().check(z.maxLength(65_536)),
      count: z.number().check(z.int(), z.gte(1), z.lte(10_000)),
      delayMs: z._default(z.number().check(z.int(), z.gte(0), z.lte(10_000)), 0),
    }),
    chunk: z.object({ i: z.number().check(z.int()), text: z.string() }),
    result: z.object({ count: z.number().check(z.int()) }),
  }),
  sleep: method({
    description: "Waits `ms` milliseconds (at most a minute); stops at once when cancelled.",
    roles: EVERYONE,
    params: z.object({ ms: z.number().check(z.int(), z.gte(0), z.lte(60_000)) }),
    result: z.object({ slept: z.number().check(z.int()) }),
  }),
};
