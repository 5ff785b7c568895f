/**
 * This device's passkey, for what a stolen unlocked phone must not be able to do: approving CRITICAL
 * calls (and HIGH ones when the PC asks). The PC makes the options and checks the answers; the browser
 * asks the authenticator, which checks the owner's fingerprint, face or PIN (user verification).
 */
import type { PasskeyPurpose, PasskeyRow } from "@ora/protocol";
import { OraError } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { explain } from "./errors.js";

export type { PasskeyRow };

// WebAuthn's browser helpers load on first use: the chat does not need them to start.
let webauthn: typeof import("@simplewebauthn/browser") | undefined;
const loadWebauthn = async () => (webauthn ??= await import("@simplewebauthn/browser"));

/** Creates a passkey on this device and hands its public key to the PC. */
export async function registerPasskey(connection: Connection, name: string): Promise<PasskeyRow> {
  const { options } = await connection.request("passkeys.create", { name });
  const response = await (await loadWebauthn()).startRegistration({ optionsJSON: options });
  return (await connection.request("passkeys.register", { response, name })).passkey;
}

/** A fresh assertion for `purpose`, made by this device's passkey with the owner's verification. */
export async function confirmWithPasskey(connection: Connection, purpose: PasskeyPurpose) {
  const { options } = await connection.request("passkeys.challenge", purpose);
  return (await loadWebauthn()).startAuthentication({ optionsJSON: options });
}

/** The command that approves at the PC instead, for a device without a passkey. */
export function atThePc(id: string): string {
  return `ora-agent approve ${id} --code <code shown by: ora-agent approvals>`;
}

/** What went wrong with a passkey, in plain words. */
export function passkeyWords(error: unknown): string {
  if (error instanceof OraError && error.code === "passkey_required")
    return "This device has no passkey for approvals yet. Add one in Settings, or approve at the PC.";
  if (error instanceof OraError && error.code === "passkey_refused")
    return `The PC did not accept the passkey (${error.message}). Nothing was approved; try again.`;
  if (error instanceof OraError) return explain(error);
  const name = webauthn && error instanceof webauthn.WebAuthnError ? (error.cause as Error | undefined)?.name : error instanceof Error ? error.name : "";
  if (name === "NotAllowedError") return "Cancelled or not allowed: the passkey was not used (or there is no passkey for ORA on this device).";
  if (name === "InvalidStateError") return "This device already has that passkey.";
  if (name === "SecurityError") return "Passkeys do not work at this address: open ORA at its usual address (not an IP address).";
  if (name === "NotSupportedError" || name === "AbortError") return "This browser cannot use passkeys here.";
  if (error instanceof Error && /does not support WebAuthn/i.test(error.message)) return "This browser cannot use passkeys.";
  return "The passkey could not be used.";
}
