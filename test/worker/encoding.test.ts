import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../../worker/src/encoding.js";

describe("credential body encoding", () => {
  it("decodes canonical base64url and round-trips it", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(56));
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
  });

  it("refuses a last character with stray low bits, so one credential has exactly one spelling", () => {
    expect(fromBase64Url("QQ")).toEqual(new Uint8Array([0x41]));
    expect(fromBase64Url("QR")).toBeNull(); // decodes to the same byte as "QQ" under a lax decoder
  });

  it("refuses padding, the standard alphabet and impossible lengths", () => {
    for (const text of ["QQ==", "a+b/", "QUJDR", "Q"]) expect(fromBase64Url(text)).toBeNull();
  });
});
