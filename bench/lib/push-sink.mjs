/**
 * A push service for the bench, on 127.0.0.1: every POST to /push/<name> is answered 201 and its
 * arrival recorded on the bench's clock, before anything else is done with it. Each subscription has
 * real keys (P-256 ECDH, made with WebCrypto as a browser makes them, and a 16-byte auth secret) so
 * that the agent can seal to it (RFC 8291); the sink opens each message afterwards with `http_ece`, to
 * tell which notification arrived. Unlike test/helpers/push-service.ts it checks no VAPID token.
 */
import { createECDH } from "node:crypto";
import { createServer } from "node:http";
import ece from "http_ece";

/** Starts the sink; `now()` stamps arrivals (ms since the epoch). */
export async function startPushSink({ now = Date.now } = {}) {
  const subscriptions = new Map();
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const at = now();
      response.writeHead(201).end();
      const name = /^\/push\/([\w-]+)$/.exec(request.url ?? "")?.[1];
      const sub = subscriptions.get(name);
      if (request.method !== "POST" || !sub) return;
      const arrival = { at, bytes: Buffer.concat(chunks) };
      try {
        const text = ece.decrypt(arrival.bytes, { version: "aes128gcm", privateKey: sub.privateKey, authSecret: sub.authSecret }).toString("utf8");
        arrival.notification = JSON.parse(text);
      } catch (error) {
        arrival.error = error.message;
      }
      sub.arrivals.push(arrival);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    /** A new subscription at the sink: what a browser's `subscription.toJSON()` hands over. */
    async subscribe(name) {
      const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
      const publicKey = Buffer.from(await crypto.subtle.exportKey("raw", pair.publicKey));
      const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
      const privateKey = createECDH("prime256v1");
      privateKey.setPrivateKey(Buffer.from(d, "base64url"));
      const authSecret = crypto.getRandomValues(new Uint8Array(16));
      subscriptions.set(name, { privateKey, authSecret, arrivals: [] });
      return { endpoint: `${url}/push/${name}`, keys: { p256dh: publicKey.toString("base64url"), auth: Buffer.from(authSecret).toString("base64url") } };
    },
    /** What arrived for `name`, oldest first: `{at, bytes, notification}` (or `error` if it did not open). */
    arrivals: (name) => subscriptions.get(name)?.arrivals ?? [],
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
