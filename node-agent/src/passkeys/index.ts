export { challengeFor, type Binding } from "./binding.js";
export { PASSKEY_MIGRATIONS } from "./migrations.js";
export { CHALLENGE_TTL_MS, PasskeyError, Passkeys, type ApprovalLookup, type PasskeyConfirmation, type PasskeysOptions } from "./passkeys.js";
export { relyingPartyOf, type RelyingParty } from "./relying-party.js";
export { passkeysFor } from "./for-safety.js";
