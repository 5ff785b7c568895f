#!/usr/bin/env node
/**
 * A VAPID key pair (RFC 8292) for the relay's Web Push: a P-256 key made with WebCrypto, as the two
 * values the relay reads. `npm start` writes one into .dev.vars on first run; for a deployment:
 *
 *     node scripts/vapid-keys.mjs        # prints ORA_VAPID_PUBLIC_KEY=… and ORA_VAPID_PRIVATE_KEY=…
 *     npx wrangler secret put ORA_VAPID_PUBLIC_KEY
 *     npx wrangler secret put ORA_VAPID_PRIVATE_KEY
 *
 * Keep the pair: browsers subscribe with the public key, and a new one ends every subscription.
 */
import { fileURLToPath } from "node:url";

/** `{ publicKey, privateKey }`: base64url of the uncompressed point and of the private scalar. */
export async function generateVapidKeys() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const publicKey = Buffer.from(await crypto.subtle.exportKey("raw", pair.publicKey)).toString("base64url");
  const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey, privateKey: d };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { publicKey, privateKey } = await generateVapidKeys();
  process.stdout.write(`ORA_VAPID_PUBLIC_KEY=${publicKey}\nORA_VAPID_PRIVATE_KEY=${privateKey}\n`);
}
