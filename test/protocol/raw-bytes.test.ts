/**
 * Raw bytes after a sealed message's JSON (protocol/src/crypto/plaintext.ts): a file's pieces cross
 * the wire as themselves, not as base64 inside JSON, and whatever a peer puts in that form is either
 * exactly what was sealed or refused as tampered.
 */
import { binaryFrameHead, encodeBinaryFrame, RawBytes, rawBytes, SecureChannel, SecureChannelError, sessionAead } from "@ora/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const sendKey = new Uint8Array(32).fill(1);
const receiveKey = new Uint8Array(32).fill(2);
const pair = () => ({ sender: new SecureChannel(sendKey, receiveKey), receiver: new SecureChannel(receiveKey, sendKey) });

/** A frame sealed under the sender's key around any plaintext at all, as a peer could make one. */
function sealPlaintext(plaintext: Uint8Array, seq = 1): Uint8Array {
  const seqBytes = new Uint8Array(8);
  new DataView(seqBytes.buffer).setUint32(4, seq);
  const sealed = sessionAead(sendKey).seal(seqBytes, plaintext, 8);
  sealed.set(seqBytes);
  return sealed;
}

/** 0x00 ‖ u32 length ‖ JSON ‖ bytes: the raw form, put together by hand. */
function rawForm(json: string, bytes: Uint8Array, claimedLength?: number): Uint8Array {
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(5 + head.length + bytes.length);
  new DataView(out.buffer).setUint32(1, claimedLength ?? head.length);
  out.set(head, 5);
  out.set(bytes, 5 + head.length);
  return out;
}

describe("raw bytes in sealed messages", () => {
  it("carries bytes raw after the JSON, several in one message, and gives them back as RawBytes", () => {
    const { sender, receiver } = pair();
    const piece = new Uint8Array(256 * 1024).map((_, i) => i * 31);
    const small = new Uint8Array([1, 2, 3]);
    const message = { k: "res", re: 1, body: { ok: true, result: { offset: 0, data: rawBytes(piece), also: [rawBytes(small), rawBytes(new Uint8Array())] } } };
    const { bytes } = sender.sealBytes(message);
    const json = JSON.stringify({
      k: "res",
      re: 1,
      body: { ok: true, result: { offset: 0, data: { $raw: [0, piece.length] }, also: [{ $raw: [piece.length, 3] }, { $raw: [piece.length + 3, 0] }] } },
    });
    // seq ‖ 0x00 ‖ u32 ‖ JSON ‖ bytes ‖ tag: no base64 and nothing more.
    expect(bytes.length).toBe(8 + 5 + json.length + piece.length + 3 + 16);
    const opened = receiver.openBytes(bytes).message as typeof message;
    const { data, also } = opened.body.result;
    expect(data).toBeInstanceOf(RawBytes);
    expect(Buffer.from(data).equals(Buffer.from(piece))).toBe(true);
    expect([...also[0]!]).toEqual([1, 2, 3]);
    expect(also[1]!.length).toBe(0);
    // What was opened can be sent on as it is: it stays raw.
    expect(sender.sealBytes({ again: data }).bytes.length).toBe(8 + 5 + JSON.stringify({ again: { $raw: [0, piece.length] } }).length + piece.length + 16);
  });

  it("seals parts one after the other exactly as their concatenation, natively and with noble", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), fc.nat({ max: 40 }), (parts, headroom) => {
        const seq = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]);
        const whole = Uint8Array.from(parts.flatMap((part) => [...part]));
        for (const aead of [sessionAead(sendKey), sessionAead(sendKey, { native: false })]) {
          const sealed = aead.seal(seq, parts, headroom);
          expect(sealed.length).toBe(headroom + whole.length + 16);
          expect(Buffer.from(sealed.subarray(headroom)).equals(Buffer.from(aead.seal(seq, whole)))).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("seals into a binary data frame with room for its header: the same bytes as encodeBinaryFrame", () => {
    const header = { t: "res", id: "r7" };
    const message = { k: "res", re: 1, body: { ok: true, result: { data: rawBytes(new Uint8Array(1000).fill(5)) } } };
    const head = binaryFrameHead(header);
    const inPlace = pair().sender.sealBytes(message, head.length).bytes;
    inPlace.set(head);
    const copied = encodeBinaryFrame(header, pair().sender.sealBytes(message).bytes);
    expect(Buffer.from(inPlace).equals(Buffer.from(copied))).toBe(true);
  });

  it("seals a message without raw bytes as plain JSON, as before", () => {
    const { sender } = pair();
    const { bytes } = sender.sealBytes({ hello: "world" });
    const plaintext = sessionAead(sendKey).open(bytes.subarray(0, 8), bytes.subarray(8));
    expect(new TextDecoder().decode(plaintext)).toBe('{"hello":"world"}');
  });

  it("turns raw bytes into their length anywhere but a sealed frame: logs never hold their content", () => {
    const secret = rawBytes(new TextEncoder().encode("the file's content"));
    expect(JSON.stringify({ params: { data: secret } })).toBe('{"params":{"data":{"bytes":18}}}');
  });

  it("refuses malformed raw forms as tampered, however authentic the frame", () => {
    const bytes = new Uint8Array([9, 8, 7]);
    const malformed = [
      new Uint8Array([0, 0, 0]), // head cut short
      rawForm('{"d":{"$raw":[0,3]}}', bytes, 500), // JSON length past the end
      rawForm('{"d":{"$raw":[1,3]}}', bytes), // past the bytes
      rawForm('{"d":{"$raw":[-1,1]}}', bytes),
      rawForm('{"d":{"$raw":[0.5,1]}}', bytes),
      rawForm('{"d":{"$raw":[0]}}', bytes),
      rawForm('{"d":{"$raw":"0,3"}}', bytes),
      rawForm('{"d":{"$raw":[0,3],"x":1}}', bytes),
      rawForm('{"d":', bytes),
    ];
    for (const plaintext of malformed) {
      const { receiver } = pair();
      expect(() => receiver.openBytes(sealPlaintext(plaintext))).toThrow(SecureChannelError);
    }
    const { receiver } = pair();
    const opened = receiver.openBytes(sealPlaintext(rawForm('{"d":{"$raw":[0,3]}}', bytes))).message as { d: Uint8Array };
    expect([...opened.d]).toEqual([9, 8, 7]);
    // A reference under "__proto__" stays an own property: the message's prototype is untouched.
    const sneaky = pair().receiver.openBytes(sealPlaintext(rawForm('{"__proto__":{"$raw":[0,3]}}', bytes))).message as object;
    expect(Object.getPrototypeOf(sneaky)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(sneaky, "__proto__")?.value).toBeInstanceOf(RawBytes);
  });

  it("opens any authentic plaintext in the raw form to a message or a SecureChannelError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.json(), fc.nat({ max: 100 }), (bytes, json, claimed) => {
        for (const plaintext of [rawForm(json, bytes), rawForm(json, bytes, claimed), rawForm(json.replace(/\d+/, '{"$raw":[0,1]}'), bytes)]) {
          const { receiver } = pair();
          try {
            receiver.openBytes(sealPlaintext(plaintext));
          } catch (error) {
            expect(error).toBeInstanceOf(SecureChannelError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
