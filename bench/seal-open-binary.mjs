#!/usr/bin/env node
/**
 * Seal + open per pair, text vs binary data frames, in one run: what one sealed request costs its two
 * ends, from a JSON value to the frame's payload and back. Text: SecureChannel.seal/open, the payload
 * base64url (what a text data frame carries). Binary: sealBytes/openBytes, the payload the raw sealed
 * bytes (what a binary data frame carries). The message is the bench's echo request
 * ({k:"req", body:{method:"echo", params}}) with params of 1 KiB and 64 KiB. Each round measures both
 * forms in alternating order; the median of the rounds is printed (µs per seal+open pair).
 *
 * Two more rows put the numbers in proportion: `raw`, the same bytes as a file's piece carries them
 * (params {data: rawBytes(…)}: after the sealed JSON, crypto/plaintext.ts), and `aead`, the cipher
 * alone (sessionAead's seal and open of as many bytes, no JSON, no frame): the floor of this machine.
 *
 *   node bench/seal-open-binary.mjs [--rounds 7]
 */
import { performance } from "node:perf_hooks";
import { acceptHandshakeV2, beginHandshakeV2, generateKeyPair, rawBytes, sessionAead, staticKey } from "@ora/protocol";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 7;

async function channels() {
  const agent = generateKeyPair();
  const device = generateKeyPair();
  const hs = await beginHandshakeV2({ device: "d", deviceKey: staticKey(device.secretKey), agentPublicKey: agent.publicKey });
  const { answer, channel: agentEnd } = await acceptHandshakeV2(hs.hello, { agentKey: staticKey(agent.secretKey), devicePublicKey: device.publicKey });
  return { deviceEnd: await hs.finish(answer), agentEnd };
}

const aead = sessionAead(new Uint8Array(32).fill(7));
const SEQ = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]);
const FORMS = {
  text: (from, to, message) => to.open(from.seal(message).payload),
  binary: (from, to, message) => to.openBytes(from.sealBytes(message).bytes),
  raw: (from, to, message) => to.openBytes(from.sealBytes(message).bytes),
  aead: (_from, _to, bytes) => aead.open(SEQ, aead.seal(SEQ, bytes)),
};
const FORM_NAMES = Object.keys(FORMS);

/** µs per seal+open pair of `message` in `form`, over `n` pairs after a warm-up. */
function pairCost(form, ends, message, n) {
  for (let i = 0; i < Math.min(n, 500); i++) FORMS[form](ends.deviceEnd, ends.agentEnd, message);
  const t = performance.now();
  for (let i = 0; i < n; i++) FORMS[form](ends.deviceEnd, ends.agentEnd, message);
  return ((performance.now() - t) * 1000) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ends = await channels();
const rows = [];
for (const bytes of [1024, 65_536]) {
  const message = { k: "req", body: { method: "echo", params: "x".repeat(bytes) } };
  const messages = {
    text: message,
    binary: message,
    raw: { k: "req", body: { method: "files.upload.piece", params: { upload: "up_0123456789", offset: 0, data: rawBytes(new Uint8Array(bytes).fill(120)) } } },
    aead: new Uint8Array(bytes).fill(120),
  };
  const n = bytes > 10_000 ? 400 : 10_000;
  const runs = Object.fromEntries(FORM_NAMES.map((form) => [form, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...FORM_NAMES].reverse() : FORM_NAMES;
    for (const form of order) runs[form].push(pairCost(form, ends, messages[form], n));
  }
  const sizes = {
    text: ends.deviceEnd.seal(message).payload.length,
    binary: ends.deviceEnd.sealBytes(message).bytes.byteLength,
    raw: ends.deviceEnd.sealBytes(messages.raw).bytes.byteLength,
    aead: aead.seal(SEQ, messages.aead).byteLength,
  };
  for (const form of FORM_NAMES) rows.push({ params: bytes, form, usPerPair: median(runs[form]), payloadBytes: sizes[form] });
}
console.log(`node ${process.version}, ${rounds} rounds, median µs per seal+open pair`);
for (const row of rows)
  console.log(`${String(row.params).padStart(6)} B  ${row.form.padEnd(6)}  ${row.usPerPair.toFixed(2).padStart(8)} µs  payload ${row.payloadBytes} B`);
