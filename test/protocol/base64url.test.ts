/**
 * base64url on the wire (protocol/src/encoding.ts) is checked by decoding and encoding again rather
 * than by a regex: every byte string round-trips, and a text is accepted only when it is the one
 * canonical spelling of the bytes it decodes to, on Node's Buffer path and on the portable atob path.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as onNode from "../../protocol/src/encoding.js";

type Encoding = typeof onNode;

/** The module as loaded where there is no Buffer (a browser without the TC39 base64 methods). */
async function portable(): Promise<Encoding> {
  vi.resetModules();
  vi.stubGlobal("Buffer", undefined);
  try {
    return await import("../../protocol/src/encoding.js");
  } finally {
    vi.unstubAllGlobals();
  }
}

// Characters a lax decoder skips, maps or stops at: whitespace, padding, the standard alphabet, others.
const foreign = fc.constantFrom(" ", "\n", "\t", "=", "+", "/", ".", "!", "\0", "é", "😀", "\u00a0", "%");

describe.each([
  ["Node's Buffer", async () => onNode],
  ["the portable path", portable],
] as const)("base64url on %s", (name, load) => {
  let enc: Encoding;
  beforeAll(async () => {
    enc = await load();
    const from = vi.spyOn(Buffer, "from");
    enc.fromBase64Url("QQ");
    expect(from.mock.calls.length > 0).toBe(name === "Node's Buffer");
    from.mockRestore();
  });
  afterAll(() => vi.resetModules());

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = enc.toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(enc.fromBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  it("accepts a string only when it is the canonical encoding of what it decodes to", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: fc.constantFrom(..."AQgw-_+/= \n.é"), maxLength: 40 })), (text) => {
        const bytes = enc.fromBase64Url(text);
        if (bytes !== null) expect(enc.toBase64Url(bytes)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses a canonical text with any foreign character put in anywhere", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), foreign, fc.nat(), (bytes, bad, at) => {
        const text = enc.toBase64Url(bytes);
        const i = at % (text.length + 1);
        expect(enc.fromBase64Url(text.slice(0, i) + bad + text.slice(i))).toBeNull();
        expect(enc.fromBase64Url(text.slice(0, i) + bad + text.slice(i + 1))).toBeNull();
      }),
    );
  });

  it("refuses a last character with stray low bits, padding and impossible lengths", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }).filter((b) => b.length % 3 !== 0),
        fc.integer({ min: 1, max: 15 }),
        (bytes, stray) => {
          const text = enc.toBase64Url(bytes);
          const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
          const last = alphabet.indexOf(text.at(-1)!);
          // 1 byte over: the last character carries 4 spare bits; 2 bytes over: 2.
          const spare = bytes.length % 3 === 1 ? 15 : 3;
          fc.pre((stray & spare) !== 0);
          expect(enc.fromBase64Url(text.slice(0, -1) + alphabet[last ^ (stray & spare)])).toBeNull();
          expect(enc.fromBase64Url(`${text}${"=".repeat(4 - (text.length % 4))}`)).toBeNull();
        },
      ),
    );
    for (const text of ["Q", "QUJDR", "QQ==", "QR", "a+b/"]) expect(enc.fromBase64Url(text)).toBeNull();
  });

  it("decodes into a plain Uint8Array: slice() copies, as callers expect", () => {
    const bytes = enc.fromBase64Url("AAECAw")!;
    expect(Buffer.isBuffer(bytes)).toBe(false);
    const copy = bytes.slice();
    copy[0] = 9;
    expect([...bytes]).toEqual([0, 1, 2, 3]);
  });

  it("decodes a 64 KiB sealed-size payload", () => {
    const bytes = new Uint8Array(65_536 + 32).map((_, i) => (i * 7919) >> 3);
    const text = enc.toBase64Url(bytes);
    expect(enc.fromBase64Url(text)).toEqual(bytes);
    expect(enc.fromBase64Url(`${text.slice(0, 40_000)} ${text.slice(40_001)}`)).toBeNull();
  });
});
