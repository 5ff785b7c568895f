/**
 * Who the passkeys belong to (the WebAuthn relying party): the relay this agent is registered with,
 * since the web client is served from its origin. WebAuthn refuses an IP address as an RP ID, so a
 * loopback relay (http://127.0.0.1:8787) is used as http://localhost:8787, rpId "localhost".
 */
export interface RelyingParty {
  rpID: string;
  origin: string;
  rpName: string;
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

export function relyingPartyOf(relay: string): RelyingParty {
  const url = new URL(relay);
  if (LOOPBACK.has(url.hostname)) {
    const origin = `${url.protocol}//localhost${url.port ? `:${url.port}` : ""}`;
    return { rpID: "localhost", origin, rpName: "ORA" };
  }
  return { rpID: url.hostname, origin: url.origin, rpName: "ORA" };
}
