/**
 * What a sealed frame holds once opened: a message's JSON and, after it, the bytes of any RawBytes
 * in the message, raw (a file's piece), so that bytes cross the wire as themselves rather than as
 * base64 inside JSON — a third larger, and encoded, escaped, copied and checked again at both ends.
 *
 *   JSON                                      a message without raw bytes
 *   0x00 ‖ u32 n ‖ JSON (n bytes) ‖ bytes…    a message with them; each one stands in the JSON as
 *                                             {"$raw":[start,length]} into the bytes after it
 *
 * JSON text never starts with 0x00, so the two forms cannot be taken for each other. Only a message
 * that holds RawBytes takes the second form, and only methods that say so carry them (a file's
 * pieces, methods/files.ts), so a peer that predates them never receives one.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const RAW_FLAG = 0;
const HEAD_BYTES = 5;

/** The RawBytes met while a message is turned into JSON for sealing; null outside sealing. */
let collecting: { parts: RawBytes[]; length: number } | null = null;

/**
 * Bytes that travel raw after a sealed message's JSON. Anywhere else (a log, an audit row) they turn
 * into JSON as their length only, never as their content.
 */
export class RawBytes extends Uint8Array {
  toJSON(): unknown {
    if (!collecting) return { bytes: this.length };
    const start = collecting.length;
    collecting.parts.push(this);
    collecting.length += this.length;
    return { $raw: [start, this.length] };
  }
}

/** The same memory as RawBytes, no copy. */
export function rawBytes(bytes: Uint8Array): RawBytes {
  return new RawBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

/** A message's plaintext, in parts to be sealed one after the other: its JSON, then any raw bytes. */
export function encodePlaintext(message: unknown): Uint8Array[] {
  const outer = collecting;
  const found = { parts: [] as RawBytes[], length: 0 };
  collecting = found;
  let json: string;
  try {
    json = JSON.stringify(message);
  } finally {
    collecting = outer;
  }
  if (found.parts.length === 0) return [encoder.encode(json)];
  const text = encoder.encode(json);
  const head = new Uint8Array(HEAD_BYTES + text.length);
  head[0] = RAW_FLAG;
  new DataView(head.buffer).setUint32(1, text.length);
  head.set(text, HEAD_BYTES);
  return [head, ...found.parts];
}

/** The message a plaintext holds, its raw bytes as RawBytes views into it; throws for anything malformed. */
export function decodePlaintext(plaintext: Uint8Array): unknown {
  if (plaintext[0] !== RAW_FLAG) return JSON.parse(decoder.decode(plaintext));
  if (plaintext.length < HEAD_BYTES) throw new Error("a plaintext's head is cut short");
  const length = new DataView(plaintext.buffer, plaintext.byteOffset, HEAD_BYTES).getUint32(1);
  if (HEAD_BYTES + length > plaintext.length) throw new Error("a plaintext's JSON runs past its end");
  const raw = plaintext.subarray(HEAD_BYTES + length);
  return restore(JSON.parse(decoder.decode(plaintext.subarray(HEAD_BYTES, HEAD_BYTES + length))), raw);
}

/**
 * Puts the raw bytes in place of their references, walking the parsed message once (a reviver would
 * slow JSON.parse down for the whole message). The keys walked are the message's own (JSON.parse makes
 * even "__proto__" an own data property), so writing a value back never reaches a setter.
 */
function restore(value: unknown, raw: Uint8Array): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Object.hasOwn(value, "$raw")) return rawAt((value as { $raw: unknown }).$raw, Object.keys(value).length, raw);
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    const restored = restore(inner, raw);
    if (restored !== inner) (value as Record<string, unknown>)[key] = restored;
  }
  return value;
}

function rawAt(where: unknown, keys: number, raw: Uint8Array): RawBytes {
  if (keys !== 1 || !Array.isArray(where) || where.length !== 2) throw new Error("a raw reference is malformed");
  const [start, size] = where as unknown[];
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || (start as number) < 0 || (size as number) < 0) {
    throw new Error("a raw reference is malformed");
  }
  if ((start as number) + (size as number) > raw.length) throw new Error("a raw reference runs past the bytes");
  return new RawBytes(raw.buffer as ArrayBuffer, raw.byteOffset + (start as number), size as number);
}
