/** HTTP helpers shared by the routes: typed JSON errors and credential extraction. */
import { BEARER_SUBPROTOCOL_PREFIX, type ErrorCode } from "@ora/protocol";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Throws the relay's one error shape, `{code, message}`, with an HTTP status. */
export function httpError(status: ContentfulStatusCode, code: ErrorCode, message: string): never {
  throw new HTTPException(status, { res: Response.json({ code, message }, { status }) });
}

/** A bearer credential from the Authorization header, or (browsers) from the offered subprotocols. */
export function bearer(request: Request): string | null {
  const auth = request.headers.get("Authorization");
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  for (const protocol of offeredProtocols(request)) {
    if (protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return protocol.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  }
  return null;
}

export function offeredProtocols(request: Request): string[] {
  return (
    request.headers
      .get("Sec-WebSocket-Protocol")
      ?.split(",")
      .map((p) => p.trim())
      .filter(Boolean) ?? []
  );
}
