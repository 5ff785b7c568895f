/** The `ws` package, with permessage-deflate off by default for client sockets (see register.mjs). */
import WebSocket from "ws";

export class NoDeflateWebSocket extends WebSocket {
  constructor(address, protocols, options) {
    if (protocols !== undefined && protocols !== null && typeof protocols === "object" && !Array.isArray(protocols)) {
      options = protocols;
      protocols = undefined;
    }
    super(address, protocols, { ...options, perMessageDeflate: false });
  }
}

export { createWebSocketStream, Receiver, Sender, WebSocketServer } from "ws";
export { NoDeflateWebSocket as WebSocket };
export default NoDeflateWebSocket;
