/**
 * The application layer: what travels inside a data frame's payload between a client and its agent.
 * The relay never reads it (and from the pairing step on, it is ciphertext to the relay).
 *
 *   request   {"method":"echo","params":{…}}
 *   answer    {"ok":true,"result":…} | {"ok":false,"error":{"code":"unknown_method","message":"…"}}
 *   chunk     any JSON value, in order, followed by an `end` whose payload is an answer
 *   push      {"event":"…","data":…}
 */
import { z } from "zod";

export const APP_ERROR_CODES = ["unknown_method", "bad_params", "failed", "cancelled"] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export const RequestPayload = z.object({
  method: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/),
  params: z.unknown().optional(),
});
export type RequestPayload = z.infer<typeof RequestPayload>;

export const AnswerPayload = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.enum(APP_ERROR_CODES), message: z.string().max(500) }),
  }),
]);
export type AnswerPayload = z.infer<typeof AnswerPayload>;

export const PushPayload = z.object({ event: z.string().max(64), data: z.unknown().optional() });
export type PushPayload = z.infer<typeof PushPayload>;

/** Parses a payload as JSON; undefined for a missing or malformed one (the caller decides what that means). */
export function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
