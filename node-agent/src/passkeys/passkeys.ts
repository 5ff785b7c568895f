/**
 * Passkeys of owner and sub-admin devices, kept in SQLite: register one (WebAuthn attestation, user
 * verification required), list and remove a device's own, and the one reusable check, `challenge` +
 * `verify` with a purpose, that a request was confirmed by the owner's biometric on the device that
 * sends it. A passkey belongs to the device that registered it: another device presenting it is refused.
 *
 * Challenges are single use (deleted when an assertion names them, verified or not), short-lived, and
 * bound to the purpose, device, Node and approval (binding.ts). The counter is checked and kept, so a
 * cloned authenticator that lags behind is refused.
 */
import {
  PASSKEY_TRANSPORTS,
  PasskeyAssertion,
  type PasskeyCreationOptions,
  type PasskeyPurpose,
  type PasskeyRegistration,
  type PasskeyRequestOptions,
  type PasskeyRow,
} from "@ora/protocol";
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import { decodeClientDataJSON } from "@simplewebauthn/server/helpers";
import type Database from "better-sqlite3";
import { createHash } from "node:crypto";
import type { Audit } from "../safety/audit.js";
import type { Requester } from "../safety/tool.js";
import { type Binding, challengeFor, newNonce } from "./binding.js";
import type { RelyingParty } from "./relying-party.js";

type Transport = (typeof PASSKEY_TRANSPORTS)[number];

export type PasskeyErrorCode = "passkey_required" | "passkey_refused" | "not_found" | "bad_params";

export class PasskeyError extends Error {
  constructor(
    readonly code: PasskeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PasskeyError";
  }
}

/** What a verified assertion confirmed: the purpose it was made for, by which passkey of which device. */
export type PasskeyConfirmation =
  | { purpose: "approve"; credentialId: string; device: string; approval: string; argsHash: string }
  | { purpose: "unlock"; credentialId: string; device: string };

/** An approval as far as a challenge binds it; undefined when `requester` may not decide it (or it is gone). */
export type ApprovalLookup = (requester: Requester, id: string) => { argsHash: string; expiresAt: number } | undefined;

export interface PasskeysOptions {
  db: Database.Database;
  audit: Audit;
  relyingParty: RelyingParty;
  /** This Node's id: a challenge made here is no good on another Node. */
  node: string;
  approval: ApprovalLookup;
  now?: () => number;
}

interface StoredPasskey {
  credential_id: string;
  device: string;
  name: string;
  public_key: Uint8Array;
  counter: number;
  transports: string;
  created_at: number;
  last_used_at: number | null;
}

interface StoredChallenge {
  challenge: string;
  nonce: string;
  device: string;
  purpose: Binding["purpose"];
  subject: string;
  expires_at: number;
}

/** How long a browser has to answer a challenge (the approval's own expiry may cut it shorter). */
export const CHALLENGE_TTL_MS = 120_000;
const MAX_OPEN_CHALLENGES = 8;
const MAX_PASSKEYS_PER_DEVICE = 10;

export class Passkeys {
  private readonly now: () => number;

  constructor(private readonly options: PasskeysOptions) {
    this.now = options.now ?? Date.now;
  }

  get relyingParty(): RelyingParty {
    return this.options.relyingParty;
  }

  list(requester: Requester): PasskeyRow[] {
    return this.stored(requester.device).map(toRow);
  }

  remove(requester: Requester, id: string): boolean {
    const { changes } = this.options.db.prepare("DELETE FROM passkeys WHERE credential_id = ? AND device = ?").run(id, requester.device);
    if (changes === 1) this.options.audit.record({ event: "passkey.removed", who: requester, status: "ok", detail: id });
    return changes === 1;
  }

  async registrationOptions(requester: Requester, name: string): Promise<PasskeyCreationOptions> {
    const { rpID, rpName } = this.options.relyingParty;
    const existing = this.stored(requester.device);
    if (existing.length >= MAX_PASSKEYS_PER_DEVICE)
      throw new PasskeyError("bad_params", `this device already has ${existing.length} passkeys; remove one first`);
    const binding = this.binding(requester, "register", "", "", 0);
    const nonce = newNonce();
    const challenge = challengeFor(nonce, binding);
    const options = await generateRegistrationOptions({
      rpName,
      rpID,
      userName: name,
      userDisplayName: name,
      // One WebAuthn user per device: a passkey confirms this device's owner, no account behind it.
      userID: createHash("sha256").update(`ora-passkey-user:${this.options.node}:${requester.device}`).digest(),
      challenge: Buffer.from(challenge, "base64url"),
      attestationType: "none",
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })),
      authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
      timeout: CHALLENGE_TTL_MS,
    });
    this.keep(challenge, nonce, binding, this.now() + CHALLENGE_TTL_MS);
    const { rp, user, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection, attestation } = options;
    return {
      rp,
      user,
      challenge: options.challenge,
      pubKeyCredParams: pubKeyCredParams.map(({ alg }) => ({ alg, type: "public-key" as const })),
      ...(timeout === undefined ? {} : { timeout }),
      ...(excludeCredentials ? { excludeCredentials: existing.map(descriptor) } : {}),
      ...(authenticatorSelection ? { authenticatorSelection } : {}),
      ...(attestation === undefined ? {} : { attestation }),
    };
  }

  async register(requester: Requester, response: PasskeyRegistration, name: string): Promise<PasskeyRow> {
    const stored = this.take(response.response.clientDataJSON, requester, "register");
    const { rpID, origin } = this.options.relyingParty;
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: {
          id: response.id,
          rawId: response.rawId,
          type: response.type,
          response: { ...response.response, transports: (response.response.transports ?? []).filter(isTransport) },
          clientExtensionResults: {},
          ...(response.authenticatorAttachment ? { authenticatorAttachment: response.authenticatorAttachment } : {}),
        },
        expectedChallenge: stored.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch (error) {
      throw this.refused(requester, "register", reason(error));
    }
    if (!verified.verified) throw this.refused(requester, "register", "the attestation did not verify");
    const { credential } = verified.registrationInfo;
    const known = this.options.db.prepare<[string], { device: string }>("SELECT device FROM passkeys WHERE credential_id = ?").get(credential.id);
    if (known) throw this.refused(requester, "register", "this passkey is already registered");
    const now = this.now();
    this.options.db
      .prepare("INSERT INTO passkeys (credential_id, device, name, public_key, counter, transports, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(credential.id, requester.device, name, Buffer.from(credential.publicKey), credential.counter, JSON.stringify(credential.transports ?? []), now);
    this.options.audit.record({ event: "passkey.registered", who: requester, status: "ok", detail: credential.id });
    return toRow(this.stored(requester.device).find((p) => p.credential_id === credential.id)!);
  }

  /** Options for one assertion for `purpose`, from one of this device's passkeys, with user verification. */
  async challenge(requester: Requester, purpose: PasskeyPurpose): Promise<PasskeyRequestOptions> {
    const passkeys = this.stored(requester.device);
    if (passkeys.length === 0) {
      throw new PasskeyError("passkey_required", "this device has no passkey: register one in Settings (Passkey for approvals), or approve at the PC");
    }
    const { binding, until } = this.bindingFor(requester, purpose);
    const nonce = newNonce();
    const challenge = challengeFor(nonce, binding);
    const expires = Math.min(this.now() + CHALLENGE_TTL_MS, until || Number.MAX_SAFE_INTEGER);
    const options = await generateAuthenticationOptions({
      rpID: this.options.relyingParty.rpID,
      challenge: Buffer.from(challenge, "base64url"),
      allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })),
      userVerification: "required",
      timeout: Math.max(1000, expires - this.now()),
    });
    this.keep(challenge, nonce, binding, expires);
    return {
      challenge: options.challenge,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.rpId === undefined ? {} : { rpId: options.rpId }),
      allowCredentials: passkeys.map(descriptor),
      userVerification: "required",
    };
  }

  /**
   * Checks that `assertion` answers a challenge this PC made for `purpose` and `requester`'s device,
   * still valid for what it binds, signed by a passkey of that same device with user verification,
   * and not seen before. The challenge is used up whatever the outcome.
   */
  /**
   * Whether `proof` (what a device sent with `lockdown.exit`) is a valid passkey assertion of an owner
   * device for "unlock": the lockdown's exit check. Anything else, malformed included, is a no.
   */
  async confirmsUnlock(requester: Requester, proof: unknown): Promise<boolean> {
    if (requester.role !== "owner") return false;
    const assertion = PasskeyAssertion.safeParse(proof);
    if (!assertion.success) return false;
    try {
      return (await this.verify(requester, { purpose: "unlock" }, assertion.data)).purpose === "unlock";
    } catch (error) {
      if (error instanceof PasskeyError) return false;
      throw error;
    }
  }

  async verify(requester: Requester, purpose: PasskeyPurpose, assertion: PasskeyAssertion): Promise<PasskeyConfirmation> {
    const stored = this.take(assertion.response.clientDataJSON, requester, purpose.purpose);
    const { binding } = this.bindingFor(requester, purpose);
    // The approval may have changed (or gone) since the challenge was made: the binding must still hold.
    if (stored.subject !== binding.subject || challengeFor(stored.nonce, binding) !== stored.challenge) {
      throw this.refused(requester, purpose.purpose, "the passkey confirmation was made for something else (another approval, other arguments)");
    }
    const passkey = this.options.db.prepare<[string], StoredPasskey>("SELECT * FROM passkeys WHERE credential_id = ?").get(assertion.id);
    if (!passkey) throw this.refused(requester, purpose.purpose, "this passkey is not registered with the PC");
    if (passkey.device !== requester.device) throw this.refused(requester, purpose.purpose, "this passkey belongs to another device");
    const { rpID, origin } = this.options.relyingParty;
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response: {
          id: assertion.id,
          rawId: assertion.rawId,
          type: assertion.type,
          response: assertion.response,
          clientExtensionResults: {},
          ...(assertion.authenticatorAttachment ? { authenticatorAttachment: assertion.authenticatorAttachment } : {}),
        },
        expectedChallenge: stored.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: { id: passkey.credential_id, publicKey: new Uint8Array(passkey.public_key), counter: passkey.counter, transports: transportsOf(passkey) },
        requireUserVerification: true,
      });
    } catch (error) {
      throw this.refused(requester, purpose.purpose, reason(error));
    }
    if (!verified.verified || !verified.authenticationInfo.userVerified) throw this.refused(requester, purpose.purpose, "the passkey assertion did not verify");
    this.options.db
      .prepare("UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ?")
      .run(verified.authenticationInfo.newCounter, this.now(), passkey.credential_id);
    this.options.audit.record({
      event: `passkey.${purpose.purpose}`,
      who: requester,
      status: "ok",
      detail: `${binding.subject || purpose.purpose} ${passkey.credential_id}`,
    });
    return purpose.purpose === "approve"
      ? { purpose: "approve", credentialId: passkey.credential_id, device: requester.device, approval: purpose.approval, argsHash: binding.argsHash }
      : { purpose: "unlock", credentialId: passkey.credential_id, device: requester.device };
  }

  private bindingFor(requester: Requester, purpose: PasskeyPurpose): { binding: Binding; until: number } {
    if (purpose.purpose === "unlock") return { binding: this.binding(requester, "unlock", "", "", 0), until: 0 };
    const approval = this.options.approval(requester, purpose.approval);
    if (!approval) throw new PasskeyError("not_found", `no pending approval ${purpose.approval} that this device may decide`);
    return { binding: this.binding(requester, "approve", purpose.approval, approval.argsHash, approval.expiresAt), until: approval.expiresAt };
  }

  private binding(requester: Requester, purpose: Binding["purpose"], subject: string, argsHash: string, until: number): Binding {
    return { purpose, device: requester.device, node: this.options.node, subject, argsHash, until };
  }

  private keep(challenge: string, nonce: string, binding: Binding, expires: number): void {
    const { db } = this.options;
    db.prepare("DELETE FROM passkey_challenges WHERE expires_at <= ?").run(this.now());
    // A device asking again and again cannot fill the table: its oldest open challenges go first.
    db.prepare(
      "DELETE FROM passkey_challenges WHERE challenge IN (SELECT challenge FROM passkey_challenges WHERE device = ? ORDER BY expires_at DESC LIMIT -1 OFFSET ?)",
    ).run(binding.device, MAX_OPEN_CHALLENGES - 1);
    db.prepare("INSERT INTO passkey_challenges (challenge, nonce, device, purpose, subject, expires_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      challenge,
      nonce,
      binding.device,
      binding.purpose,
      binding.subject,
      expires,
    );
  }

  /** Finds and deletes the challenge the client data names: single use, whatever happens next. */
  private take(clientDataJSON: string, requester: Requester, purpose: Binding["purpose"]): StoredChallenge {
    let challenge: string;
    try {
      challenge = decodeClientDataJSON(clientDataJSON).challenge;
    } catch {
      throw this.refused(requester, purpose, "the client data is not readable");
    }
    // Only the device it was made for can use a challenge up: another cannot burn it.
    const stored = this.options.db
      .prepare<[string, string], StoredChallenge>("DELETE FROM passkey_challenges WHERE challenge = ? AND device = ? RETURNING *")
      .get(String(challenge), requester.device);
    if (!stored) throw this.refused(requester, purpose, "unknown or already used challenge for this device: ask for a new one");
    if (stored.purpose !== purpose) throw this.refused(requester, purpose, "the challenge was made for another purpose");
    if (stored.expires_at <= this.now()) throw this.refused(requester, purpose, "the challenge has expired: ask for a new one");
    return stored;
  }

  private refused(requester: Requester, purpose: string, why: string): PasskeyError {
    this.options.audit.record({ event: `passkey.${purpose}`, who: requester, status: "passkey_refused", detail: why });
    return new PasskeyError("passkey_refused", why);
  }

  private stored(device: string): StoredPasskey[] {
    return this.options.db.prepare<[string], StoredPasskey>("SELECT * FROM passkeys WHERE device = ? ORDER BY created_at, credential_id").all(device);
  }
}

function toRow(p: StoredPasskey): PasskeyRow {
  return { id: p.credential_id, name: p.name, transports: transportsOf(p), createdAt: p.created_at, lastUsedAt: p.last_used_at };
}

function isTransport(name: string): name is Transport {
  return (PASSKEY_TRANSPORTS as readonly string[]).includes(name);
}

function descriptor(p: StoredPasskey): { id: string; type: "public-key"; transports: Transport[] } {
  return { id: p.credential_id, type: "public-key", transports: transportsOf(p) };
}

function transportsOf(p: StoredPasskey): Transport[] {
  return JSON.parse(p.transports) as Transport[];
}

/** The library's reasons name what failed (user verification, counter, signature, origin); no secret is in them. */
function reason(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : "the passkey response did not verify";
}
