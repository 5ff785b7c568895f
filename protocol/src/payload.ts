/**
 * The application layer: what travels inside a data frame's payload between a client and its agent.
 * The relay never reads it: every payload between a device and its agent is sealed (crypto/session.ts).
 *
 *   request   {"method":"echo","params":{…}}
 *   answer    {"ok":true,"result":…} | {"ok":false,"error":{"code":"unknown_method","message":"…"}}
 *   chunk     any JSON value, in order, followed by an `end` whose payload is an answer
 *   push      {"event":"…","data":…}
 */
import * as z from "zod/mini";
import { APP_ERROR_CODES } from "./errors.js";

export const RequestPayload = z.object({
  method: z.string().check(z.regex(/^[a-z][a-z0-9_.-]{0,63}$/)),
  params: z.optional(z.unknown()),
});
export type RequestPayload = z.infer<typeof RequestPayload>;

export const AnswerPayload = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.enum(APP_ERROR_CODES), message: z.string().check(z.maxLength(500)) }),
  }),
]);
export type AnswerPayload = z.infer<typeof AnswerPayload>;

export const PushPayload = z.object({ event: z.string().check(z.maxLength(64)), data: z.optional(z.unknown()) });
export type PushPayload = z.infer<typeof PushPayload>;

/**
 * Parses a payload as JSON; undefined for a missing or malformed one (the caller decides what that
 * means). Clear payloads travel as text, but one that arrives in a binary frame reads the same.
 */
export function parsePayload(payload: string | Uint8Array | undefined): unknown {
  if (payload === undefined) return undefined;
  try {
    return JSON.parse(typeof payload === "string" ? payload : utf8.decode(payload));
  } catch {
    return undefined;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * What a sealed payload (crypto/session.ts) holds. The kind travels inside the seal too, so the relay
 * cannot turn a chunk into an end or a push into an answer; `re` is the seq of the sealed request an
 * answer belongs to, so it cannot swap answers between requests either.
 */
export const SealedRequest = z.object({ k: z.literal("req"), body: RequestPayload });
export type SealedRequest = z.infer<typeof SealedRequest>;
export const SealedReply = z.object({ k: z.enum(["res", "chunk", "end"]), re: z.number().check(z.int(), z.gte(1)), body: z.unknown() });
export type SealedReply = z.infer<typeof SealedReply>;
export const SealedPush = z.object({ k: z.literal("push"), body: PushPayload });
export type SealedPush = z.infer<typeof SealedPush>;
