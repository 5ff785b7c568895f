import { AgentFrame, ClientFrame, decodeFrame, encodeFrame, MAX_HEADER_CHARS, utf8Length } from "@ora/protocol";
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
