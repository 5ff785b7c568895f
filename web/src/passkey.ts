/**
 * This device's passkey, for what a stolen unlocked phone must not be able to do: approving CRITICAL
 * calls (and HIGH ones when the PC asks). The PC makes the options and checks the answers; the browser
 * asks the authenticator, which checks the owner's fingerprint, face or PIN (user verification).
 */
import type { PasskeyPurpose, PasskeyRow } from "@ora/protocol";
import { OraError } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { explain } from "./errors.js";
import { currentLanguage, t } from "./i18n/index.js";

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
  return t("passkeys.at-the-pc", { id });
}

/** What went wrong with a passkey, in plain words. */
export function passkeyWords(error: unknown): string {
  if (error instanceof OraError && error.code === "passkey_required") return t("errors.passkey.none");
  if (error instanceof OraError && error.code === "passkey_refused")
    return currentLanguage() === "en" && error.message
      ? t("errors.detail", { sentence: t("errors.passkey.refused"), detail: error.message })
      : t("errors.passkey.refused");
  if (error instanceof OraError) return explain(error);
  const name = webauthn && error instanceof webauthn.WebAuthnError ? (error.cause as Error | undefined)?.name : error instanceof Error ? error.name : "";
  if (name === "NotAllowedError") return t("errors.passkey.not-allowed");
  if (name === "InvalidStateError") return t("errors.passkey.exists");
  if (name === "SecurityError") return t("errors.passkey.address");
  if (name === "NotSupportedError" || name === "AbortError") return t("errors.passkey.unsupported");
  if (error instanceof Error && /does not support WebAuthn/i.test(error.message)) return t("errors.passkey.unsupported");
  return t("errors.passkey.failed");
}
