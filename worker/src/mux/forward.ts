/** Sizing of forwarded data frames without scanning their payloads again. */
import { encodeFrame, utf8Length } from "@ora/protocol";

/** UTF-8 size of an incoming frame's payload, from the frame's size: the payload is not scanned again. */
export function payloadBytes(message: string, payload: string | undefined, messageBytes: number): number {
  if (payload === undefined) return 0;
  return messageBytes - utf8Length(message.slice(0, message.length - payload.length - 1)) - 1;
}

/**
 * A frame to forward with its UTF-8 size. The relay's own headers are ASCII (ids are validated to
 * ASCII alphabets), so the size is the header's length plus the payload's known size.
 */
export function forward(header: object, payload: string | undefined, bytes: number): { text: string; bytes: number } {
  const text = encodeFrame(header, payload);
  return { text, bytes: payload === undefined ? text.length : text.length - payload.length + bytes };
}
