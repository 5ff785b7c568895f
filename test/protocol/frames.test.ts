import {
  AgentFrame,
  ClientFrame,
  decodeBinaryFrame,
  decodeFrame,
  encodeBinaryFrame,
  encodeFrame,
  MAX_HEADER_CHARS,
  RelayToAgentFrame,
  RelayToClientFrame,
  utf8Length,
} from "@ora/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("frame codec", () => {
  it("never throws on arbitrary text, whatever the schema", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (text) => {
        expect(() => decodeFrame(text, ClientFrame)).not.toThrow();
        expect(() => decodeFrame(text, AgentFrame)).not.toThrow();
      }),
    );
  });

  it("gives back the payload byte for byte, newlines and all", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), (payload, id) => {
        const decoded = decodeFrame(encodeFrame({ t: "req", id }, payload), ClientFrame);
        expect(decoded).toEqual({ ok: true, header: { t: "req", id }, payload });
      }),
    );
  });

  it("ignores unknown header keys and keeps only the known ones", () => {
    const decoded = decodeFrame('{"t":"cancel","id":"a","future":1,"__proto__":{"x":1}}', ClientFrame);
    expect(decoded).toEqual({ ok: true, header: { t: "cancel", id: "a" }, payload: undefined });
  });

  it("refuses headers longer than the header limit before parsing them", () => {
    const decoded = decodeFrame(`{"t":"ping","x":"${"a".repeat(MAX_HEADER_CHARS)}"}`, ClientFrame);
    expect(decoded).toMatchObject({ ok: false, message: expect.stringContaining("header longer") });
  });

  it("names an unknown frame type as such", () => {
    expect(decodeFrame('{"t":"teleport"}', ClientFrame)).toMatchObject({ ok: false, message: expect.stringContaining("unknown frame type") });
  });

  it("measures UTF-8 length exactly as Buffer.byteLength does", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 500 }), (text) => {
        expect(utf8Length(text)).toBe(Buffer.byteLength(text, "utf8"));
      }),
    );
  });
});

/** [u16 BE length][header bytes][payload], built by hand so that the tests do not trust the encoder. */
function binary(header: string | Uint8Array, payload: Uint8Array = new Uint8Array(0), length?: number): Uint8Array {
  const head = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const n = length ?? head.length;
  return new Uint8Array([n >> 8, n & 0xff, ...head, ...payload]);
}

describe("binary frame codec", () => {
  const decoders = [ClientFrame, AgentFrame, RelayToClientFrame, RelayToAgentFrame].map(
    (schema) => (bytes: Uint8Array) => decodeBinaryFrame(bytes, schema as never),
  );

  it("never throws on arbitrary bytes, whatever the schema, and refuses them with a message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (bytes) => {
        for (const decode of decoders) {
          const decoded = decode(bytes);
          if (!decoded.ok) expect(decoded.message).toEqual(expect.any(String));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on a length prefix and header built from arbitrary text, including wrong lengths", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 700 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 64 }),
        (head, length, tail) => {
          for (const frame of [binary(head, tail), binary(head, tail, length)]) for (const decode of decoders) expect(() => decode(frame)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives back the header and the payload bytes exactly, as a view without a copy", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), (payload, id) => {
        const frame = encodeBinaryFrame({ t: "req", id }, payload);
        const decoded = decodeBinaryFrame(frame, ClientFrame);
        expect(decoded).toEqual({ ok: true, header: { t: "req", id }, payload });
        if (decoded.ok) expect(decoded.payload.buffer).toBe(frame.buffer);
      }),
    );
  });

  it("lays a frame out as the header's length in two big-endian bytes, the header, then the payload", () => {
    const frame = encodeBinaryFrame({ t: "res", rid: 7 }, new Uint8Array([1, 2, 3]));
    const head = '{"t":"res","rid":7}';
    expect([...frame]).toEqual([0, head.length, ...new TextEncoder().encode(head), 1, 2, 3]);
  });

  it("refuses each way a binary frame can be wrong with its own message", () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([]), /shorter than its header length/],
      [new Uint8Array([0]), /shorter than its header length/],
      [binary('{"t":"req","id":"a"}', new Uint8Array(0), 200), /past the end/],
      [binary("x".repeat(MAX_HEADER_CHARS + 1)), /header longer/],
      [binary(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /not UTF-8/],
      [binary("{not json"), /not JSON/],
      [binary("[1,2]"), /not a JSON object/],
      [binary('{"t":"teleport"}'), /unknown frame type/],
      [binary('{"t":"req","id":"bad id!"}'), /invalid header/],
      [binary('{"t":"hello","v":1}'), /control frame must be a text frame/],
      [binary('{"t":"ack","bytes":1}'), /control frame must be a text frame/],
    ];
    for (const [frame, message] of cases) expect(decodeBinaryFrame(frame, ClientFrame)).toMatchObject({ ok: false, message: expect.stringMatching(message) });
  });

  it("reads every data frame type in binary, each with the direction's own header", () => {
    const payload = new Uint8Array([9]);
    expect(decodeBinaryFrame(encodeBinaryFrame({ t: "push", to: "*" }, payload), AgentFrame)).toMatchObject({ ok: true });
    for (const t of ["res", "chunk", "end"]) expect(decodeBinaryFrame(encodeBinaryFrame({ t, rid: 3 }, payload), AgentFrame)).toMatchObject({ ok: true });
    for (const t of ["res", "chunk", "end"])
      expect(decodeBinaryFrame(encodeBinaryFrame({ t, id: "a" }, payload), RelayToClientFrame)).toMatchObject({ ok: true });
    expect(decodeBinaryFrame(encodeBinaryFrame({ t: "push" }, payload), RelayToClientFrame)).toMatchObject({ ok: true });
    expect(decodeBinaryFrame(encodeBinaryFrame({ t: "req", rid: 1, s: "s", dev: "d", role: "owner" }, payload), RelayToAgentFrame)).toMatchObject({
      ok: true,
    });
  });
});
