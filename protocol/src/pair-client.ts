/**
 * Pairing from the new device's side: claim the offer named by the code's nameplate, run the
 * exchange in crypto/pairing.ts through the relay, and come back with everything needed to connect.
 * The web client and the terminal client both use this.
 */
import { OraError, type DeviceIdentity } from "./client.js";
import type { StaticKey } from "./crypto/keys.js";
import { PairingError, PairingGuest, type PairingGrant } from "./crypto/pairing.js";
import { fromBase64Url } from "./encoding.js";
import { decodeFrame, encodeFrame } from "./frames.js";
import { parsePairingCode, type PairingCode } from "./pairing-code.js";
import { RelayToPairFrame } from "./pairing-frames.js";
import { parsePayload } from "./payload.js";
import { PROTOCOL_VERSION, SUBPROTOCOL } from "./version.js";

export interface PairOptions {
  /** The code as typed or the pairing URL. */
  code: string | PairingCode;
  /** The relay to use when the code is not a URL. */
  relay?: string;
  /** How this device introduces itself ("Pixel 9"). */
  name: string;
  /** The device's long-term key (generate it before pairing; keep it afterwards). */
  key: StaticKey;
  /** Shown while the PC's owner confirms: the same digits appear on the PC. */
  onVerification?: (digits: string) => void;
  WebSocket?: typeof WebSocket;
  /** The whole exchange, including the owner's confirmation on the PC. */
  timeoutMs?: number;
}

export interface Paired {
  grant: PairingGrant;
  /** Connects through the relay this device paired through (the PC may know it by another name). */
  identity: DeviceIdentity;
}

export async function pairDevice(options: PairOptions): Promise<Paired> {
  const code = typeof options.code === "string" ? parsePairingCode(options.code) : options.code;
  const relay = code.relay ?? options.relay;
  if (!relay) return Promise.reject(new OraError("bad_request", "no relay: use the pairing link, or say which relay the code is for"));
  const url = new URL(`/v1/pair/${code.nameplate}`, relay);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const Impl = options.WebSocket ?? globalThis.WebSocket;
  const socket = new Impl(url, [SUBPROTOCOL]);
  const guest = new PairingGuest(code.nameplate, code.secret, { name: options.name, key: options.key });
  let step: "claim" | "m1" | "m3" | "done" = "claim";

  return new Promise<Paired>((resolve, reject) => {
    const timer = setTimeout(() => fail(new OraError("timeout", "pairing took too long")), options.timeoutMs ?? 180_000);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      step = "done";
      socket.close(1000);
      reject(error instanceof PairingError ? new OraError("pairing_failed", error.message) : error);
    };
    const send = (message: unknown) => socket.send(encodeFrame({ t: "msg" }, JSON.stringify(message)));
    socket.addEventListener("open", () => socket.send(encodeFrame({ t: "claim", v: PROTOCOL_VERSION })));
    // A refused upgrade reaches a WHATWG WebSocket as an error (Node's may not follow it with a close).
    socket.addEventListener("error", () => {
      if (step !== "done") fail(new OraError("node_offline", "cannot reach the relay's pairing service"));
    });
    socket.addEventListener("close", (event) => {
      if (step !== "done") fail(new OraError("node_offline", `the pairing connection closed (${event.code}) before it finished`));
    });
    socket.addEventListener("message", (event) => {
      const frame = decodeFrame(String(event.data), RelayToPairFrame);
      if (!frame.ok) return fail(new OraError("bad_frame", frame.message));
      const header = frame.header;
      if (header.t === "err") return fail(new OraError(header.code, header.message));
      if (header.t === "peer" && step === "claim") return void (step = "m1");
      if (header.t !== "msg") return;
      try {
        const message = parsePayload(frame.payload);
        if (step === "m1") {
          const { reply, verification } = guest.respond(message);
          step = "m3";
          send(reply);
          options.onVerification?.(verification);
        } else if (step === "m3") {
          const grant = guest.accept(message);
          send({ ok: true });
          clearTimeout(timer);
          step = "done";
          resolve({
            grant,
            identity: {
              relay: new URL(relay).origin,
              device: grant.device,
              credential: grant.credential,
              key: options.key,
              agentPublicKey: fromBase64Url(grant.agentPublicKey)!,
            },
          });
        }
      } catch (error) {
        fail(error);
      }
    });
  });
}
