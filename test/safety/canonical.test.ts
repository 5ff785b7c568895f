import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../node-agent/src/safety/canonical.js";

describe("canonical JSON", () => {
  it("sorts object keys at every depth and leaves out whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("gives the same text for the same meaning whatever the key order", () => {
    expect(canonicalJson({ path: "/tmp", mode: "r" })).toBe(canonicalJson({ mode: "r", path: "/tmp" }));
    expect(sha256Hex(canonicalJson({ path: "/tmp", mode: "r" }))).toBe(sha256Hex(canonicalJson({ mode: "r", path: "/tmp" })));
  });

  it("keeps array order, since order can change meaning", () => {
    expect(canonicalJson(["rm", "-rf"])).not.toBe(canonicalJson(["-rf", "rm"]));
  });

  it("escapes strings as JSON does, including control characters and non-ASCII", () => {
    expect(canonicalJson({ s: 'a"b\n\u0000é' })).toBe('{"s":"a\\"b\\n\\u0000é"}');
  });

  it("omits undefined members like JSON and refuses values JSON cannot represent", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson({ b: 1n })).toThrow(TypeError);
  });

  it("hashes with sha256 in lower-case hex", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
