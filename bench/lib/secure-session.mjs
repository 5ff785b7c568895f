/**
 * The bench's end of end-to-end encryption (protocol/src/crypto/e2e.ts): devices provisioned without
 * the pairing ceremony, the per-session handshake, and the payload codecs the load sessions use.
 *
 * A provisioned device is what `ora-agent pair` leaves behind: a long-term X25519 key pair, a relay
 * device credential minted with the Node's credential (POST /v1/node/devices), and the device in the
 * agent's paired-device file (devices.json in its state directory), which the running agent re-reads
 * when it changes.
 */
import { beginHandshakeV2, generateKeyPair, staticKey, toBase64Url } from "@ora/protocol";
import { loadOrCreateIdentity, PairedDevices } from "ora-agent";

/** Mints a relay credential for a new device of the Node holding `nodeCredential`. */
export async function mintDevice(url, nodeCredential, name, role = "owner") {
  const minted = await fetch(new URL("/v1/node/devices", url), {
    method: "POST",
    headers: { Authorization: `Bearer ${nodeCredential}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name, role }),
  });
  if (minted.status !== 201) throw new Error(`minting a device: HTTP ${minted.status} ${await minted.text()}`);
  return minted.json();
}

/** A device the real agent in `stateDir` accepts: minted at the relay, written into its paired devices. */
export async function provisionAgentDevice(url, nodeCredential, stateDir, name = "bench") {
  const keys = generateKeyPair();
  const { id, credential } = await mintDevice(url, nodeCredential, name);
  new PairedDevices(stateDir).add({ id, name, role: "owner", publicKey: toBase64Url(keys.publicKey), pairedAt: new Date().toISOString() });
  return {
    id,
    credential,
    key: staticKey(keys.secretKey),
    secretKey: keys.secretKey,
    publicKey: keys.publicKey,
    agentPublicKey: loadOrCreateIdentity(stateDir).publicKey,
  };
}

/**
 * A device for an answering peer the bench runs itself (the echo peer): the peer's long-term key pair
 * is generated here and handed to it, with the device's public key, in its environment.
 */
export async function provisionPeerDevice(url, nodeCredential, name = "bench") {
  const agent = generateKeyPair();
  const keys = generateKeyPair();
  const { id, credential } = url ? await mintDevice(url, nodeCredential, name) : { id: "bench-device", credential: "" };
  return {
    id,
    credential,
    key: staticKey(keys.secretKey),
    publicKey: keys.publicKey,
    agentPublicKey: agent.publicKey,
    /** What the echo peer needs: its own secret key and the devices it accepts. */
    peerEnv: {
      BENCH_AGENT_SECRET: toBase64Url(agent.secretKey),
      BENCH_DEVICES: JSON.stringify({ [id]: toBase64Url(keys.publicKey) }),
    },
  };
}

/**
 * Runs the handshake as a session's first request on an open socket (after the welcome, if any),
 * with `request(payload)` sending it in the target's request frame. Resolves with the channel and the
 * bytes the answer took (counted by the session for its flow-control acks).
 */
export async function handshake(ws, device, request) {
  const started = await beginHandshakeV2({ device: device.id, deviceKey: device.key, agentPublicKey: device.agentPublicKey });
  const answer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no handshake answer within 5 s")), 5000);
    ws.once("message", (data) => {
      clearTimeout(timer);
      resolve({ text: data.toString(), bytes: data.length });
    });
    request(JSON.stringify(started.hello));
  });
  const nl = answer.text.indexOf("\n");
  const header = JSON.parse(answer.text.slice(0, nl === -1 ? undefined : nl));
  const payload = nl === -1 ? "" : answer.text.slice(nl + 1);
  if (header.t !== "res") throw new Error(`handshake: expected a res frame, got ${answer.text.slice(0, 200)}`);
  let raw;
  try {
    raw = JSON.parse(payload);
  } catch {
    throw new Error(`handshake: answer is not JSON: ${payload.slice(0, 200)}`);
  }
  if (raw?.ok === false) throw new Error(`handshake refused by the agent: ${JSON.stringify(raw.error)}`);
  return { channel: await started.finish(raw), bytes: answer.bytes };
}

/** Requests in clear: the payload is the JSON body, the answer is parsed as JSON. */
export function plainCodec(body) {
  let payload = JSON.stringify(body);
  return {
    sealed: false,
    encode: () => ({ payload, seq: 0 }),
    decode: (text) => JSON.parse(text),
    setBody: (next) => (payload = JSON.stringify(next)),
  };
}

/** Sealed requests: each body sealed as {k:"req", body}; each answer opened and matched to its request. */
export function sealedCodec(channel, body) {
  const message = { k: "req", body };
  return {
    sealed: true,
    setBody: (next) => (message.body = next),
    encode: () => channel.seal(message),
    encodeBytes: () => channel.sealBytes(message),
    decode: (text, seq) => bodyOf(channel.open(text).message, seq),
    decodeBytes: (bytes, seq) => bodyOf(channel.openBytes(bytes).message, seq),
  };
}

function bodyOf(reply, seq) {
  if (reply?.k !== "res" || reply.re !== seq) throw new Error(`sealed reply of kind ${reply?.k} for seq ${reply?.re}, expected res for ${seq}`);
  return reply.body;
}
