/** The Durable Object's side of a WebSocket: sending and closing without throwing at a closed socket. */

/** Sends one frame, text or binary; false when the socket was closed meanwhile (its close handler cleans up). */
export function sendQuietly(ws: WebSocket, data: string | Uint8Array): boolean {
  try {
    ws.send(data);
    return true;
  } catch {
    return false;
  }
}

/** Reciprocates or initiates a close; codes 1005/1006/1015 may not be sent, and a closed socket throws. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  const sendable = code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006);
  try {
    ws.close(sendable ? code : 1000, reason);
  } catch {
    // already closed
  }
}
