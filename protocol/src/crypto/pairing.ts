/**
 * The pairing exchange, on top of CPace (crypto/cpace.ts). Transport-agnostic: the host (the PC's
 * `ora-agent pair`) and the guest (a new device) pass these messages through the relay's pairing
 * sockets (pairing-frames.ts), which see only public values.
 *
 *   host → guest   m1 {"sid","ya"}                          CPace initiator message
 *   guest → host   m2 {"yb","mac","box"}                    CPace responder message; the guest's key
 *                                                           confirmation; its name and long-term public
 *                                                           key, sealed under the CPace key
 *   host → guest   m3 {"mac","box"} | {"refused":true}      the host's confirmation; the grant (Node,
 *                                                           device id, relay credential, role, the
 *                                                           agent's long-term public key), sealed
 *   guest → host   m4 {"ok":true}                           stored; the host may report success
 *
 * Both ends derive from the CPace key (ISK): two MAC keys, two sealing keys and a short verification
 * string people can compare on both screens. A guest that does not know the code cannot produce a
 * valid `mac`; the host then burns the offer, so each code allows one guess. Neither MAC nor box
 * gives an eavesdropper (the relay included) anything to test a guessed code against: the ISK also
 * depends on the CPace secret scalars.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { equalBytes } from "@noble/ciphers/utils.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import * as z from "zod/mini";
import { fromBase64Url, toBase64Url } from "../encoding.js";
import { DeviceId, Role } from "../frames.js";
import { cpaceInitiator, cpaceResponder, type CpaceState } from "./cpace.js";
import { KEY_BYTES, type StaticKey } from "./keys.js";

export const PAIRING_VERSION = 1;
const CHANNEL = "ora pair v1";
const AD_HOST = utf8ToBytes("ora-agent");
const AD_GUEST = utf8ToBytes("ora-device");

export class PairingError extends Error {
  constructor(
    readonly reason: "wrong_code" | "malformed" | "refused",
    message: string,
  ) {
    super(message);
    this.name = "PairingError";
  }
}

const B64 = z.string().check(z.regex(/^[A-Za-z0-9_-]+$/), z.maxLength(2048));
export const PairM1 = z.object({ v: z.literal(PAIRING_VERSION), sid: B64, ya: B64 });
export const PairM2 = z.object({ yb: B64, mac: B64, box: B64 });
export const PairM3 = z.union([z.object({ mac: B64, box: B64 }), z.object({ refused: z.literal(true) })]);
export const PairM4 = z.object({ ok: z.literal(true) });

/** What the guest tells the host about itself. */
export const GuestInfo = z.object({ name: z.string().check(z.minLength(1), z.maxLength(64)), publicKey: B64 });
export type GuestInfo = z.infer<typeof GuestInfo>;

/** What the host grants the guest: everything it needs to connect and to recognise its agent. */
export const PairingGrant = z.object({
  relay: z.string().check(z.url(), z.maxLength(200)),
  node: z.string().check(z.maxLength(64)),
  device: DeviceId,
  credential: z.string().check(z.regex(/^ora_dev_[A-Za-z0-9_-]{40,120}$/)),
  role: Role,
  name: z.string().check(z.maxLength(64)),
  agentPublicKey: B64,
});
export type PairingGrant = z.infer<typeof PairingGrant>;

interface Keys {
  hostMac: Uint8Array;
  guestMac: Uint8Array;
  hostBox: Uint8Array;
  guestBox: Uint8Array;
  verification: string;
}

/** The PC's side of one pairing. */
export class PairingHost {
  private readonly sid = randomBytes(16);
  private readonly cpace: CpaceState;
  private keys: Keys | undefined;
  private transcript: Uint8Array | undefined;

  constructor(nameplate: string, secret: string) {
    this.cpace = cpaceInitiator({ prs: utf8ToBytes(secret), ci: channel(nameplate), sid: this.sid, ad: AD_HOST });
  }

  first(): z.infer<typeof PairM1> {
    return { v: PAIRING_VERSION, sid: toBase64Url(this.sid), ya: toBase64Url(this.cpace.message) };
  }

  /** Checks the guest's confirmation; a wrong code throws PairingError("wrong_code"). */
  receive(raw: unknown): { guest: GuestInfo & { key: Uint8Array }; verification: string } {
    const m2 = parse(PairM2, raw);
    const yb = bytes(m2.yb);
    let isk: Uint8Array;
    try {
      isk = this.cpace.finish(yb);
    } catch {
      throw new PairingError("wrong_code", "the other device sent an invalid pairing message");
    }
    this.transcript = concatBytes(this.cpace.message, yb);
    this.keys = deriveKeys(isk);
    if (!equalBytes(mac(this.keys.guestMac, "guest", this.transcript), bytes(m2.mac))) {
      throw new PairingError("wrong_code", "the code did not match: the other device does not know it");
    }
    const guest = parse(GuestInfo, unseal(this.keys.guestBox, m2.box));
    const key = bytes(guest.publicKey);
    if (key.length !== KEY_BYTES) throw new PairingError("malformed", "the device's public key is not 32 bytes");
    return { guest: { ...guest, key }, verification: this.keys.verification };
  }

  /** The grant for the guest, sealed; call after `receive` and the owner's consent. */
  grant(grant: PairingGrant): z.infer<typeof PairM3> {
    if (!this.keys || !this.transcript) throw new Error("grant() before receive()");
    return { mac: toBase64Url(mac(this.keys.hostMac, "host", this.transcript)), box: seal(this.keys.hostBox, PairingGrant.parse(grant)) };
  }

  refuse(): z.infer<typeof PairM3> {
    return { refused: true };
  }
}

/** The new device's side of one pairing. */
export class PairingGuest {
  private keys: Keys | undefined;
  private transcript: Uint8Array | undefined;

  constructor(
    private readonly nameplate: string,
    private readonly secret: string,
    private readonly info: { name: string; key: StaticKey },
  ) {}

  /** Answers the host's first message; returns m2 and the verification string to show. */
  respond(raw: unknown): { reply: z.infer<typeof PairM2>; verification: string } {
    const m1 = parse(PairM1, raw);
    const ya = bytes(m1.ya);
    const cpace = cpaceResponder({ prs: utf8ToBytes(this.secret), ci: channel(this.nameplate), sid: bytes(m1.sid), ad: AD_GUEST });
    let isk: Uint8Array;
    try {
      isk = cpace.finish(ya);
    } catch {
      throw new PairingError("malformed", "the PC sent an invalid pairing message");
    }
    this.transcript = concatBytes(ya, cpace.message);
    this.keys = deriveKeys(isk);
    const guest: GuestInfo = { name: this.info.name, publicKey: toBase64Url(this.info.key.publicKey) };
    const reply = { yb: toBase64Url(cpace.message), mac: toBase64Url(mac(this.keys.guestMac, "guest", this.transcript)), box: seal(this.keys.guestBox, guest) };
    return { reply, verification: this.keys.verification };
  }

  /** Checks the host's confirmation and opens the grant. */
  accept(raw: unknown): PairingGrant {
    if (!this.keys || !this.transcript) throw new Error("accept() before respond()");
    const m3 = parse(PairM3, raw);
    if ("refused" in m3) throw new PairingError("refused", "the PC's owner declined this pairing");
    if (!equalBytes(mac(this.keys.hostMac, "host", this.transcript), bytes(m3.mac))) {
      throw new PairingError("wrong_code", "the PC could not confirm the code: this is not the PC that showed it");
    }
    const grant = parse(PairingGrant, unseal(this.keys.hostBox, m3.box));
    if (bytes(grant.agentPublicKey).length !== KEY_BYTES) throw new PairingError("malformed", "the agent's public key is not 32 bytes");
    return grant;
  }
}

function channel(nameplate: string): Uint8Array {
  return utf8ToBytes(`${CHANNEL} ${nameplate}`);
}

function deriveKeys(isk: Uint8Array): Keys {
  const okm = hkdf(sha256, isk, undefined, utf8ToBytes("ora pair v1 keys"), 4 * 32 + 4);
  const v = new DataView(okm.buffer, okm.byteOffset + 128, 4).getUint32(0) % 1_000_000;
  const digits = v.toString().padStart(6, "0");
  return {
    hostMac: okm.slice(0, 32),
    guestMac: okm.slice(32, 64),
    hostBox: okm.slice(64, 96),
    guestBox: okm.slice(96, 128),
    verification: `${digits.slice(0, 3)} ${digits.slice(3)}`,
  };
}

function mac(key: Uint8Array, who: "host" | "guest", transcript: Uint8Array): Uint8Array {
  return hmac(sha256, key, concatBytes(utf8ToBytes(`${CHANNEL} confirm ${who}`), transcript));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function seal(key: Uint8Array, value: unknown): string {
  const nonce = randomBytes(24);
  return toBase64Url(concatBytes(nonce, xchacha20poly1305(key, nonce).encrypt(encoder.encode(JSON.stringify(value)))));
}

function unseal(key: Uint8Array, text: string): unknown {
  const box = bytes(text);
  try {
    return JSON.parse(decoder.decode(xchacha20poly1305(key, box.subarray(0, 24)).decrypt(box.subarray(24))));
  } catch {
    throw new PairingError("malformed", "a sealed pairing message could not be opened");
  }
}

function bytes(text: string): Uint8Array {
  const value = fromBase64Url(text);
  if (!value) throw new PairingError("malformed", "a pairing message field is not base64url");
  return value;
}

function parse<T>(schema: z.ZodMiniType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new PairingError("malformed", "a pairing message is malformed");
  return parsed.data;
}
