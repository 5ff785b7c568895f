/**
 * Passkeys (WebAuthn) of owner and sub-admin devices: the proof that the person holding the device is
 * its owner (user verification: a fingerprint, a face, a PIN), not just whoever holds it unlocked.
 *
 * Flow: `passkeys.create` → the browser's `navigator.credentials.create` → `passkeys.register`
 * (the agent verifies the attestation and keeps the public key, bound to the calling device). To use
 * one: `passkeys.challenge` with a purpose (`approve` one approval, `unlock` a lockdown) → the browser's
 * `navigator.credentials.get` → the assertion goes with the request it confirms (`approvals.decide`'s
 * `assertion`). A challenge is single use, short-lived, bound to the purpose, the device, this Node and,
 * for an approval, its id, args hash and expiry. The JSON shapes are WebAuthn Level 3's `*JSON` types.
 */
import * as z from "zod/mini";
import { DECIDERS, method } from "./define.js";

const B64URL = z.string().check(z.maxLength(16_384), z.regex(/^[A-Za-z0-9_-]*$/, "base64url"));
export const PASSKEY_TRANSPORTS = ["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"] as const;
const Transport = z.enum(PASSKEY_TRANSPORTS);
const Descriptor = z.object({ id: B64URL, type: z.literal("public-key"), transports: z.optional(z.array(Transport).check(z.maxLength(8))) });
const UserVerification = z.enum(["required", "preferred", "discouraged"]);

/** What the browser's `navigator.credentials.create` needs (PublicKeyCredentialCreationOptionsJSON). */
export const PasskeyCreationOptions = z.object({
  rp: z.object({ name: z.string(), id: z.optional(z.string()) }),
  user: z.object({ id: B64URL, name: z.string(), displayName: z.string() }),
  challenge: B64URL,
  pubKeyCredParams: z.array(z.object({ alg: z.number().check(z.int()), type: z.literal("public-key") })),
  timeout: z.optional(z.number().check(z.int())),
  excludeCredentials: z.optional(z.array(Descriptor)),
  authenticatorSelection: z.optional(
    z.object({
      authenticatorAttachment: z.optional(z.enum(["platform", "cross-platform"])),
      residentKey: z.optional(z.enum(["required", "preferred", "discouraged"])),
      requireResidentKey: z.optional(z.boolean()),
      userVerification: z.optional(UserVerification),
    }),
  ),
  attestation: z.optional(z.enum(["none", "indirect", "direct", "enterprise"])),
});
export type PasskeyCreationOptions = z.infer<typeof PasskeyCreationOptions>;

/** What the browser's `navigator.credentials.get` needs (PublicKeyCredentialRequestOptionsJSON). */
export const PasskeyRequestOptions = z.object({
  challenge: B64URL,
  timeout: z.optional(z.number().check(z.int())),
  rpId: z.optional(z.string()),
  allowCredentials: z.optional(z.array(Descriptor)),
  userVerification: z.optional(UserVerification),
});
export type PasskeyRequestOptions = z.infer<typeof PasskeyRequestOptions>;

const ClientResponse = {
  id: B64URL.check(z.minLength(1), z.maxLength(1024)),
  rawId: B64URL.check(z.minLength(1), z.maxLength(1024)),
  type: z.literal("public-key"),
  authenticatorAttachment: z.optional(z.enum(["platform", "cross-platform"])),
  // Extension outputs are not used; the agent reads none of them.
  clientExtensionResults: z.optional(z.unknown()),
};

/** The browser's answer to `create`, as `PublicKeyCredential.toJSON()` gives it. */
export const PasskeyRegistration = z.object({
  ...ClientResponse,
  response: z.object({
    clientDataJSON: B64URL,
    attestationObject: B64URL,
    // Browsers name new transports over time: an unknown one is dropped by the agent, not refused.
    transports: z.optional(z.array(z.string().check(z.maxLength(32))).check(z.maxLength(8))),
  }),
});
export type PasskeyRegistration = z.infer<typeof PasskeyRegistration>;

/** The browser's answer to `get` (an assertion), as `PublicKeyCredential.toJSON()` gives it. */
export const PasskeyAssertion = z.object({
  ...ClientResponse,
  response: z.object({
    clientDataJSON: B64URL,
    authenticatorData: B64URL,
    signature: B64URL,
    userHandle: z.optional(B64URL),
  }),
});
export type PasskeyAssertion = z.infer<typeof PasskeyAssertion>;

/** What a passkey assertion is asked for: deciding one approval, or leaving a lockdown. */
export const PasskeyPurpose = z.discriminatedUnion("purpose", [
  z.object({ purpose: z.literal("approve"), approval: z.string().check(z.minLength(1), z.maxLength(64)) }),
  z.object({ purpose: z.literal("unlock") }),
]);
export type PasskeyPurpose = z.infer<typeof PasskeyPurpose>;

export const PasskeyRow = z.object({
  /** The credential id (base64url). */
  id: z.string(),
  name: z.string(),
  transports: z.array(z.string()),
  createdAt: z.number(),
  lastUsedAt: z.nullable(z.number()),
});
export type PasskeyRow = z.infer<typeof PasskeyRow>;

const PasskeyName = z.string().check(z.trim(), z.minLength(1), z.maxLength(64));

export const passkeyMethods = {
  "passkeys.create": method({
    description: "Options for creating a passkey on this device (user verification required).",
    roles: DECIDERS,
    params: z.optional(z.object({ name: z.optional(PasskeyName) })),
    result: z.object({ options: PasskeyCreationOptions }),
  }),
  "passkeys.register": method({
    description: "Verifies a new passkey of this device and keeps its public key; it confirms this device's approvals.",
    roles: DECIDERS,
    params: z.object({ response: PasskeyRegistration, name: z.optional(PasskeyName) }),
    result: z.object({ passkey: PasskeyRow }),
  }),
  "passkeys.list": method({
    description: "This device's passkeys.",
    roles: DECIDERS,
    params: z.unknown(),
    result: z.object({ passkeys: z.array(PasskeyRow) }),
  }),
  "passkeys.remove": method({
    description: "Forgets one of this device's passkeys.",
    roles: DECIDERS,
    params: z.object({ id: B64URL.check(z.minLength(1), z.maxLength(1024)) }),
    result: z.object({ removed: z.boolean() }),
  }),
  "passkeys.challenge": method({
    description: "Options for a passkey assertion bound to one purpose (an approval, an unlock); single use, short-lived.",
    roles: DECIDERS,
    params: PasskeyPurpose,
    result: z.object({ options: PasskeyRequestOptions }),
  }),
};
