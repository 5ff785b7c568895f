import {
  calculateGenerator,
  cpaceInitiator,
  cpaceResponder,
  CpaceError,
  cpaceSymmetric,
  generatorString,
  lvCat,
  scalarMultVfy,
  type CpaceInputs,
} from "@ora/protocol";
import { ristretto255_hasher } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import sodium from "libsodium-wrappers";
import { beforeAll, describe, expect, it } from "vitest";

// Vectors: draft-irtf-cfrg-cpace-21, appendix B.3 (CPACE-RISTR255-SHA512) and A.1.
const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

const V = {
  prs: ascii("Password"),
  ci: hex("0b415f696e69746961746f720b425f726573706f6e646572"),
  sid: hex("7e4b4791d6a8ef019b936c79fb7f2c57"),
  generatorString: hex(`
    11435061636552697374726574746f3235350850617373776f726464
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000180b415f696e69746961746f
    720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
    2c57`),
  generatorHash: hex(`
    da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288
    b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772
    05f90851a657ee27`),
  g: hex("222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56"),
  ada: ascii("ADa"),
  ya: hex("da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08"),
  Ya: hex("d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157"),
  adb: ascii("ADb"),
  yb: hex("d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d"),
  Yb: hex("3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258"),
  K: hex("80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f"),
  iskIr: hex(`
    b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
    ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
    3fa2068af7900447`),
  iskSy: hex(`
    544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969
    d0e5debb2244675c0b43397cbb68d342b01fc0f98fc961469a25134d
    e9f0f813c1a57476`),
  // B.3.10 and B.3.11
  s: hex("7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05"),
  X: hex("2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"),
  sX: hex("7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e"),
  invalidY: hex("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"),
};
const IDENTITY = new Uint8Array(32);
const vectorA: CpaceInputs = { prs: V.prs, ci: V.ci, sid: V.sid, ad: V.ada };
const vectorB: CpaceInputs = { prs: V.prs, ci: V.ci, sid: V.sid, ad: V.adb };

/** A well-formed message carrying an arbitrary 32-byte share. */
const messageWith = (share: Uint8Array, ad = V.adb): Uint8Array => lvCat(share, ad);

const inputs = (prs: Uint8Array, sid: Uint8Array, ad: Uint8Array, ci = V.ci): CpaceInputs => ({ prs, ci, sid, ad });
const bytes = (maxLength: number, minLength = 0) => fc.uint8Array({ minLength, maxLength });

describe("CPace building blocks against the draft's vectors", () => {
  it("encodes lengths and concatenations exactly as the draft's prepend_len and lv_cat vectors", () => {
    const range = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
    expect(toHex(lvCat(new Uint8Array()))).toBe("00");
    expect(toHex(lvCat(ascii("1234")))).toBe("0431323334");
    expect(toHex(lvCat(range(127)))).toBe(`7f${toHex(range(127))}`);
    expect(toHex(lvCat(range(128)))).toBe(`8001${toHex(range(128))}`);
    expect(toHex(lvCat(ascii("1234"), ascii("5"), new Uint8Array(), ascii("678")))).toBe("043132333401350003363738");
  });

  it("builds the draft's generator string, padding DSI and PRS to fill the first SHA-512 block", () => {
    expect(toHex(generatorString(V.prs, V.ci, V.sid))).toBe(toHex(V.generatorString));
  });

  it("derives the draft's generator g from PRS, CI and sid", () => {
    expect(toHex(calculateGenerator(V.prs, V.ci, V.sid))).toBe(toHex(V.g));
  });

  it("sends the draft's Ya and Yb, each framed as lv_cat(Y, AD)", () => {
    expect(toHex(cpaceInitiator(vectorA, V.ya).message)).toBe(`20${toHex(V.Ya)}03${toHex(V.ada)}`);
    expect(toHex(cpaceResponder(vectorB, V.yb).message)).toBe(`20${toHex(V.Yb)}03${toHex(V.adb)}`);
  });

  it("computes the draft's shared point K from either side", () => {
    expect(toHex(scalarMultVfy(V.ya, V.Yb))).toBe(toHex(V.K));
    expect(toHex(scalarMultVfy(V.yb, V.Ya))).toBe(toHex(V.K));
  });

  it("derives the draft's initiator-responder ISK on both sides", () => {
    const a = cpaceInitiator(vectorA, V.ya);
    const b = cpaceResponder(vectorB, V.yb);
    expect(toHex(a.finish(b.message))).toBe(toHex(V.iskIr));
    expect(toHex(b.finish(a.message))).toBe(toHex(V.iskIr));
  });

  it("derives the draft's symmetric ISK on both sides, whichever message is larger", () => {
    const a = cpaceSymmetric(vectorA, V.ya);
    const b = cpaceSymmetric(vectorB, V.yb);
    expect(toHex(a.finish(b.message))).toBe(toHex(V.iskSy));
    expect(toHex(b.finish(a.message))).toBe(toHex(V.iskSy));
  });

  it("multiplies a valid encoded point as in the draft's scalar_mult test case", () => {
    expect(toHex(scalarMultVfy(V.s, V.X))).toBe(toHex(V.sX));
  });

  it("returns the identity from scalar_mult_vfy for the draft's invalid point and for the identity", () => {
    expect(toHex(scalarMultVfy(V.s, V.invalidY))).toBe(toHex(IDENTITY));
    expect(toHex(scalarMultVfy(V.s, IDENTITY))).toBe(toHex(IDENTITY));
  });
});

// The installed libsodium-wrappers is the standard build, which has no ristretto255 functions
// (they ship only in the sumo build), so libsodium checks the SHA-512 layer here and the draft's
// vectors, computed by the authors' reference implementation, check the group layer above.
describe("CPace hashing checked against libsodium", () => {
  beforeAll(async () => {
    await sodium.ready;
  });

  const lv = (field: Uint8Array): Uint8Array => Uint8Array.from([field.length, ...field]); // fields < 128 bytes

  it("hashes the draft's generator string to the draft's 64 bytes, like libsodium's SHA-512", () => {
    expect(toHex(sodium.crypto_hash(generatorString(V.prs, V.ci, V.sid)))).toBe(toHex(V.generatorHash));
    expect(toHex(ristretto255_hasher.deriveToCurve?.(sodium.crypto_hash(V.generatorString)).toBytes() ?? new Uint8Array())).toBe(toHex(V.g));
  });

  it("derives, for random inputs, the generator string and ISK that libsodium's SHA-512 gives from the draft's formulas", () => {
    const dsiIsk = ascii("CPaceRistretto255_ISK");
    fc.assert(
      fc.property(bytes(100, 1), bytes(100), bytes(100), bytes(100), bytes(100), (prs, ci, sid, ada, adb) => {
        const zpad = Math.max(0, 128 - 1 - (1 + prs.length) - (1 + 17));
        const expectedGeneratorString = Uint8Array.from([...lv(ascii("CPaceRistretto255")), ...lv(prs), ...lv(new Uint8Array(zpad)), ...lv(ci), ...lv(sid)]);
        expect(toHex(generatorString(prs, ci, sid))).toBe(toHex(expectedGeneratorString));

        const a = cpaceInitiator({ prs, ci, sid, ad: ada }, V.ya);
        const b = cpaceResponder({ prs, ci, sid, ad: adb }, V.yb);
        expect(toHex(a.message.subarray(34))).toBe(toHex(ada));
        const k = scalarMultVfy(V.ya, b.message.subarray(1, 33));
        const expectedIsk = sodium.crypto_hash(Uint8Array.from([...lv(dsiIsk), ...lv(sid), ...lv(k), ...a.message, ...b.message]));
        expect(toHex(a.finish(b.message))).toBe(toHex(expectedIsk));
      }),
      { numRuns: 40 },
    );
  });
});

describe("CPace runs between two parties", () => {
  it("gives both parties the same 64-byte ISK when they share PRS, CI and sid", () => {
    const a = cpaceInitiator(inputs(ascii("482-913"), ascii("session-1"), ascii("device")));
    const b = cpaceResponder(inputs(ascii("482-913"), ascii("session-1"), ascii("agent")));
    const iskA = a.finish(b.message);
    const iskB = b.finish(a.message);
    expect(iskA).toHaveLength(64);
    expect(toHex(iskA)).toBe(toHex(iskB));
  });

  it("gives the parties different ISKs, and no error, when their PRS differ", () => {
    const a = cpaceInitiator(inputs(ascii("482-913"), ascii("session-1"), ascii("device")));
    const b = cpaceResponder(inputs(ascii("482-914"), ascii("session-1"), ascii("agent")));
    expect(toHex(a.finish(b.message))).not.toBe(toHex(b.finish(a.message)));
  });

  it("leaves the parties with different ISKs when a relay alters the associated data in transit", () => {
    const a = cpaceInitiator(inputs(ascii("482-913"), ascii("session-1"), ascii("device")));
    const b = cpaceResponder(inputs(ascii("482-913"), ascii("session-1"), ascii("agent")));
    const tampered = lvCat(a.message.subarray(1, 33), ascii("evil!!"));
    expect(toHex(a.finish(b.message))).not.toBe(toHex(b.finish(tampered)));
  });

  it("keeps its own transcript when the caller mutates the message it was handed", () => {
    const a = cpaceInitiator(vectorA, V.ya);
    const b = cpaceResponder(vectorB, V.yb);
    const sent = Uint8Array.from(a.message);
    a.message.fill(0);
    expect(toHex(b.finish(sent))).toBe(toHex(V.iskIr));
    expect(toHex(a.finish(b.message))).toBe(toHex(V.iskIr));
  });

  it("agrees on the key for random PRS, sid, CI and AD, in both modes", () => {
    fc.assert(
      fc.property(bytes(64, 1), bytes(32), bytes(32), bytes(200), bytes(200), (prs, sid, ci, ada, adb) => {
        const a = cpaceInitiator(inputs(prs, sid, ada, ci));
        const b = cpaceResponder(inputs(prs, sid, adb, ci));
        expect(toHex(a.finish(b.message))).toBe(toHex(b.finish(a.message)));
        const c = cpaceSymmetric(inputs(prs, sid, ada, ci));
        const d = cpaceSymmetric(inputs(prs, sid, adb, ci));
        expect(toHex(d.finish(c.message))).toBe(toHex(c.finish(d.message)));
      }),
      { numRuns: 30 },
    );
  });

  it("gives different keys for random pairs of different PRS", () => {
    fc.assert(
      fc.property(bytes(64, 1), bytes(64, 1), bytes(32), (prsA, prsB, sid) => {
        fc.pre(toHex(prsA) !== toHex(prsB));
        const a = cpaceInitiator(inputs(prsA, sid, ascii("device")));
        const b = cpaceResponder(inputs(prsB, sid, ascii("agent")));
        expect(toHex(a.finish(b.message))).not.toBe(toHex(b.finish(a.message)));
      }),
      { numRuns: 30 },
    );
  });
});

describe("CPace refusals", () => {
  const finishWith = (peerMessage: Uint8Array) => () => cpaceInitiator(vectorA, V.ya).finish(peerMessage);

  it("refuses a peer share that encodes the identity element", () => {
    expect(finishWith(messageWith(IDENTITY))).toThrow(CpaceError);
    expect(finishWith(messageWith(IDENTITY))).toThrow(/identity/);
  });

  it("refuses the draft's invalid point and non-canonical ristretto255 encodings", () => {
    const pEncoding = hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); // 0 written as p
    const negative = hex("0100000000000000000000000000000000000000000000000000000000000000");
    const highBit = Uint8Array.from(V.Yb);
    highBit[31] = (highBit[31] ?? 0) | 0x80;
    for (const share of [V.invalidY, pEncoding, negative, highBit]) {
      expect(finishWith(messageWith(share))).toThrow(CpaceError);
      expect(finishWith(messageWith(share))).toThrow(/canonical/);
    }
  });

  it("refuses truncated, overlong and misframed messages", () => {
    const good = cpaceResponder(vectorB, V.yb).message;
    const malformed = [
      new Uint8Array(),
      good.subarray(0, good.length - 1), // truncated AD
      good.subarray(0, 20), // truncated share
      Uint8Array.from([...good, 0]), // trailing byte
      V.Yb, // bare share, no framing
      lvCat(V.Yb.subarray(0, 31), V.adb), // 31-byte share
      lvCat(Uint8Array.from([...V.Yb, 0]), V.adb), // 33-byte share
      Uint8Array.from([0xa0, 0x00, ...V.Yb, 0x00]), // non-minimal length
      hex("ffffff"),
      hex("ffff03"),
      hex("00ffff03"),
      hex("00ffffff"),
      hex("ffffffffff7f"), // length field longer than any message
    ];
    for (const message of malformed) expect(finishWith(message), toHex(message)).toThrow(CpaceError);
  });

  it("refuses to finish twice, even after a failed attempt, so a scalar never serves two exchanges", () => {
    const a = cpaceInitiator(vectorA, V.ya);
    const b = cpaceResponder(vectorB, V.yb);
    expect(() => a.finish(hex("ffffff"))).toThrow(CpaceError);
    expect(() => a.finish(b.message)).toThrow(/already been used/);
    expect(b.finish(a.message)).toHaveLength(64);
    expect(() => b.finish(a.message)).toThrow(/already been used/);
  });

  it("refuses inputs of the wrong type or length with CpaceError", () => {
    const cast = (value: unknown) => value as Uint8Array;
    const calls: Array<() => unknown> = [
      () => cpaceInitiator(null as unknown as CpaceInputs),
      () => cpaceInitiator({ ...vectorA, prs: new Uint8Array() }),
      () => cpaceInitiator({ ...vectorA, prs: cast("Password") }),
      () => cpaceInitiator({ ...vectorA, ci: cast(undefined) }),
      () => cpaceResponder({ ...vectorB, sid: cast([1, 2, 3]) }),
      () => cpaceResponder({ ...vectorB, ad: cast(42) }),
      () => cpaceInitiator(vectorA, V.ya.subarray(0, 31)),
      () => cpaceInitiator(vectorA, new Uint8Array(32)),
      () => cpaceInitiator(vectorA, hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")), // the group order
      () => cpaceInitiator(vectorA).finish(cast(toHex(V.Yb))),
      () => scalarMultVfy(V.s, cast(null)),
      () => calculateGenerator(cast("Password"), V.ci, V.sid),
      () => lvCat(cast("1234")),
    ];
    for (const call of calls) expect(call).toThrow(CpaceError);
  });
});
