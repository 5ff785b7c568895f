/**
 * Headers through which the Worker hands a Node's object what it verified or computed. Only the
 * Worker can reach an object's fetch(), and it sets (or deletes) every one of these itself.
 */
/** The keyed hash of a verified credential: the credential itself goes no further than the Worker. */
export const CREDENTIAL_HASH_HEADER = "x-ora-credential-hash";
/** A keyed hash of the caller's address (CF-Connecting-IP), never the address. */
export const SOURCE_HEADER = "x-ora-source";
/** The nameplate a claimant asked for, already validated. */
export const NAMEPLATE_HEADER = "x-ora-nameplate";
