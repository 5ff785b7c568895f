/**
 * Data frames through the relay: read in either form (text or binary, frames.ts), sized without
 * scanning their payloads again, and written in the form each receiver reads. A binary payload goes
 * to a peer that said `bin` as the same bytes behind the relay's header, and to one that did not as
 * text whose payload is their base64url, exactly what the text protocol carries.
 */
import { decodeBinaryFrame, decodeFrame, encodeBinaryFrame, encodeFrame, toBase64Url, utf8Length } from "@ora/protocol";
import type * as z from "zod/mini";

/** A data frame's payload: text as it came in a text frame, bytes as they came in a binary one. */
export type Payload = string | Uint8Array | undefined;

/** A frame as the relay reads it: its header, its payload, and the payload's size as it travelled. */
export type Inbound<T> = { ok: true; header: T; payload: Payload; payloadBytes: number } | { ok: false; message: string; id?: unknown };

/** A frame ready to send and its size on the wire (UTF-8 bytes of text, or the binary frame's length). */
export interface Outbound {
  data: string | Uint8Array;
  bytes: number;
}

/** Decodes a frame of either form; `bytes` is its size as received. */
export function readFrame<T>(message: string | ArrayBuffer, bytes: number, schema: z.ZodMiniType<T>): Inbound<T> {
  if (typeof message !== "string") {
    const frame = decodeBinaryFrame(new Uint8Array(message), schema);
    return frame.ok ? { ok: true, header: frame.header, payload: frame.payload, payloadBytes: frame.payload.byteLength } : frame;
  }
  const frame = decodeFrame(message, schema);
  return frame.ok ? { ok: true, header: frame.header, payload: frame.payload, payloadBytes: payloadBytes(message, frame.payload, bytes) } : frame;
}

/** UTF-8 size of an incoming frame's payload, from the frame's size: the payload is not scanned again. */
export function payloadBytes(message: string, payload: string | undefined, messageBytes: number): number {
  if (payload === undefined) return 0;
  return messageBytes - utf8Length(message.slice(0, message.length - payload.length - 1)) - 1;
}

/**
 * A frame to forward under the relay's `header`, built at most once per form it is sent in (a push
 * to every session may need both). Text stays text for everyone: a peer that says bin reads text too.
 * The relay's own headers are ASCII (ids are validated to ASCII alphabets), so a text frame's size is
 * its header's length plus the payload's known size.
 */
export function forward(header: object, payload: Payload, bytes: number): (bin: boolean) => Outbound {
  if (typeof payload !== "object") {
    const text = encodeFrame(header, payload);
    const out = { data: text, bytes: payload === undefined ? text.length : text.length - payload.length + bytes };
    return () => out;
  }
  let binary: Outbound | undefined;
  let text: Outbound | undefined;
  return (bin) => {
    if (bin) return (binary ??= sized(encodeBinaryFrame(header, payload)));
    if (!text) {
      const converted = encodeFrame(header, toBase64Url(payload));
      text = { data: converted, bytes: converted.length };
    }
    return text;
  };
}

function sized(frame: Uint8Array): Outbound {
  return { data: frame, bytes: frame.byteLength };
}
