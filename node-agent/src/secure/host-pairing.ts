/**
 * The PC's side of pairing: open an offer at the relay, show the code, run the exchange of
 * protocol crypto/pairing.ts with whoever claims it, ask the owner, mint the device's relay
 * credential and record the device (its role and long-term key) in this PC's paired-device list.
 * A wrong code burns the offer; anything that fails after the credential was minted revokes it again.
 */
import {
  decodeFrame,
  encodeFrame,
  formatCode,
  newPairingSecret,
  pairingUrl,
  PairingError,
  PairingHost,
  PairM4,
  parsePayload,
  PROTOCOL_VERSION,
  RelayToPairFrame,
  SUBPROTOCOL,
  toBase64Url,
  type Role,
  type StaticKey,
} from "@ora/protocol";
import WebSocket from "ws";
import { mintDevice, revokeDevice } from "../relay/api.js";
import type { PairedDevice, PairedDevices } from "./paired-devices.js";

export interface Offer {
  code: string;
  url: string;
  nameplate: string;
  expiresAt: number;
}

export interface HostPairingOptions {
  relay: string;
  node: { nodeId: string; credential: string };
  identity: StaticKey;
  devices: PairedDevices;
  role: Role;
  /** Overrides the name the device proposes. */
  name?: string;
  ttlSec: number;
  onOffer(offer: Offer): void;
  /** The owner's decision; the verification digits are shown on both screens. */
  confirm(request: { name: string; role: Role; verification: string }): Promise<boolean>;
}

/** A pairing that did not happen, with a message for the person at the PC. */
export class PairingFailed extends Error {
  constructor(
    readonly reason: "wrong_code" | "refused" | "expired" | "relay",
    message: string,
  ) {
    super(message);
    this.name = "PairingFailed";
  }
}

export function hostPairing(options: HostPairingOptions): Promise<PairedDevice> {
  const url = new URL("/v1/node/pair", options.relay);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url, [SUBPROTOCOL], {
    headers: { Authorization: `Bearer ${options.node.credential}` },
    perMessageDeflate: false,
    handshakeTimeout: 10_000,
  });
  let host: PairingHost | undefined;
  let minted: { id: string } | undefined;
  let paired: PairedDevice | undefined;
  let step: "offer" | "peer" | "m2" | "confirming" | "m4" | "done" = "offer";
  const send = (message: unknown) => ws.send(encodeFrame({ t: "msg" }, JSON.stringify(message)));
  const done = (ok: boolean) => ws.readyState === WebSocket.OPEN && ws.send(encodeFrame({ t: "done", ok }));

  return new Promise<PairedDevice>((resolve, reject) => {
    const fail = async (error: PairingFailed) => {
      if (step === "done") return;
      step = "done";
      done(false);
      ws.close(1000);
      if (minted) {
        options.devices.remove(minted.id);
        await revokeDevice(options.relay, options.node.credential, minted.id).catch(() => undefined);
      }
      reject(error);
    };
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      void fail(
        new PairingFailed(
          "relay",
          res.statusCode === 401 ? "the relay rejected this PC's credential" : `the relay refused to open a pairing offer (HTTP ${res.statusCode})`,
        ),
      );
    });
    ws.on("error", (error) => void fail(new PairingFailed("relay", `cannot reach the relay: ${error.message}`)));
    ws.on("open", () => ws.send(encodeFrame({ t: "offer", v: PROTOCOL_VERSION, ttl: options.ttlSec })));
    ws.on("close", () => void fail(new PairingFailed("relay", "the relay closed the pairing connection")));
    ws.on("message", async (data) => {
      const frame = decodeFrame(data.toString(), RelayToPairFrame);
      if (!frame.ok) return;
      const header = frame.header;
      try {
        if (header.t === "err") {
          const reason = header.code === "expired" ? "expired" : "relay";
          return void fail(
            new PairingFailed(reason, header.code === "expired" ? "the code expired before anyone used it" : `the relay ended the pairing: ${header.message}`),
          );
        }
        if (header.t === "offer" && step === "offer") {
          const secret = newPairingSecret();
          host = new PairingHost(header.nameplate, secret);
          const code = formatCode(header.nameplate, secret);
          step = "peer";
          return options.onOffer({ code, url: pairingUrl(options.relay, code), nameplate: header.nameplate, expiresAt: header.expiresAt });
        }
        if (header.t === "peer" && step === "peer" && host) {
          step = "m2";
          return send(host.first());
        }
        if (header.t !== "msg" || !host) return;
        const message = parsePayload(frame.payload);
        if (step === "m2") {
          step = "confirming";
          const { guest, verification } = host.receive(message);
          const name = options.name ?? guest.name;
          if (!(await options.confirm({ name, role: options.role, verification }))) {
            send(host.refuse());
            return void fail(new PairingFailed("refused", "pairing declined"));
          }
          const device = await mintDevice(options.relay, options.node.credential, { name, role: options.role });
          minted = device;
          paired = { id: device.id, name, role: options.role, publicKey: guest.publicKey, pairedAt: new Date().toISOString() };
          options.devices.add(paired);
          step = "m4";
          return send(
            host.grant({
              relay: options.relay,
              node: options.node.nodeId,
              device: device.id,
              credential: device.credential,
              role: options.role,
              name,
              agentPublicKey: toBase64Url(options.identity.publicKey),
            }),
          );
        }
        if (step === "m4" && paired && PairM4.safeParse(message).success) {
          step = "done";
          done(true);
          ws.close(1000);
          resolve(paired);
        }
      } catch (error) {
        if (error instanceof PairingError && error.reason === "wrong_code") {
          return void fail(new PairingFailed("wrong_code", "the code was entered wrong on the other device; this code is now burnt"));
        }
        void fail(new PairingFailed("relay", error instanceof Error ? error.message : "pairing failed"));
      }
    });
  });
}
