/**
 * Where the relay sends Web Push messages. An endpoint comes from a browser through the agent, so it
 * is attacker-controlled as far as the relay knows: sending to any URL would make the relay an open
 * proxy that posts signed requests wherever it is told (SSRF). It sends only to the push services of
 * the browsers ORA supports, over https on the default port, and to http://127.0.0.1:<port> when a
 * dev/test setting allows it (a local fake push service).
 */

/** Push-service hosts: an exact name, or a suffix (a leading dot) for services with many hosts. */
export const PUSH_SERVICE_HOSTS = [
  "fcm.googleapis.com", // Chrome, Edge on Android, most Chromium browsers
  ".push.services.mozilla.com", // Firefox (updates.push.services.mozilla.com)
  ".push.apple.com", // Safari (web.push.apple.com)
  ".notify.windows.com", // Edge on Windows (wns2-*.notify.windows.com)
] as const;

export type PushTarget =
  | {
      ok: true;
      /** Where the message is posted. */
      url: string;
      origin: string;
      /**
       * The endpoint the VAPID token is signed for (its origin becomes the JWT's `aud`). The same as
       * `url`, except that a loopback endpoint is signed as its https:// twin: the signing library
       * refuses http:, and a local fake push service checks that twin.
       */
      signedAs: string;
    }
  | { ok: false; reason: string };

export function pushTarget(endpoint: string, allowLoopback: boolean): PushTarget {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, reason: "the endpoint is not a URL" };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "the endpoint carries user info" };
  if (url.protocol === "https:" && url.port === "" && isPushServiceHost(url.hostname)) {
    return { ok: true, url: url.href, origin: url.origin, signedAs: url.href };
  }
  if (allowLoopback && url.protocol === "http:" && url.hostname === "127.0.0.1" && url.port !== "") {
    return { ok: true, url: url.href, origin: url.origin, signedAs: `https:${url.href.slice("http:".length)}` };
  }
  return {
    ok: false,
    reason: `${url.protocol === "https:" || url.protocol === "http:" ? url.origin : url.protocol} is not a push service this relay sends to`,
  };
}

function isPushServiceHost(host: string): boolean {
  return PUSH_SERVICE_HOSTS.some((allowed) => (allowed.startsWith(".") ? host.endsWith(allowed) && host.length > allowed.length : host === allowed));
}
