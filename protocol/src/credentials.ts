/**
 * Credential shapes every peer may need to recognise. A credential is `ora_<kind>_<body>`: the prefix
 * makes a leaked one easy to spot (and to scan for); the body is base64url and opaque to everyone but
 * the relay, which alone can check it.
 */
export const CREDENTIAL_KINDS = { node: "ora_node_", device: "ora_dev_" } as const;
export type CredentialKind = keyof typeof CREDENTIAL_KINDS;

const SHAPE = /^ora_(node|dev)_[A-Za-z0-9_-]{40,120}$/;

/** True when `text` looks like an ORA credential of `kind` (shape only; the relay decides validity). */
export function looksLikeCredential(text: string, kind: CredentialKind): boolean {
  return SHAPE.test(text) && text.startsWith(CREDENTIAL_KINDS[kind]);
}
