/**
 * The agent's end of every client session's encryption (protocol crypto/session.ts, session-v2.ts). A
 * session's first request must be the handshake from a paired device, version 2 (Noise KK) or, until
 * V1_ACCEPTED_UNTIL, version 1; after it, every request must be sealed under
 * that session's keys, and every answer, chunk and push the agent sends is sealed too. Nothing from
 * a device is acted on in clear, so a relay cannot inject requests, and the device's identity and
 * role come from the pairing record, never from the relay.
 */
import {
  acceptHandshake,
  acceptHandshakeV2,
  AnyHandshakeHello,
  NO_SESSION_MESSAGE,
  type SecureChannel,
  SecureChannelError,
  V1_ACCEPTED_UNTIL,
  parsePayload,
  SealedRequest,
  type AnswerPayload,
  type HandshakeAnswer,
  type HandshakeAnswerV2,
  type RequestPayload,
  type StaticKey,
} from "@ora/protocol";
import type { PairedDevice, PairedDevices } from "./paired-devices.js";

export type Incoming =
  | { kind: "handshake"; answer: HandshakeAnswer | HandshakeAnswerV2; device: PairedDevice }
  | { kind: "request"; request: RequestPayload; seq: number; device: PairedDevice }
  | { kind: "refused"; answer: AnswerPayload; why: string };

interface Secure {
  channel: SecureChannel;
  device: PairedDevice;
}

export class SecureSessions {
  private readonly sessions = new Map<string, Secure>();

  constructor(
    private readonly identity: StaticKey,
    private readonly devices: PairedDevices,
    private readonly options: { now?: () => number } = {},
  ) {}

  /**
   * Reads one request payload from session `sid`, which the relay says belongs to device `relayDevice`:
   * text (a handshake in clear, or a sealed payload's base64url) or the sealed bytes of a binary frame.
   */
  async receive(sid: string, relayDevice: string, payload: string | Uint8Array | undefined): Promise<Incoming> {
    // Sealed text payloads are base64url and never start with "{": only JSON can be a handshake, and
    // handshakes travel as text.
    if (typeof payload === "string" && payload.startsWith("{")) {
      // A hello of a version this agent does not know falls through to the refusal below, which a
      // client takes as "speak an older version" (protocol crypto/session.ts NO_SESSION_MESSAGE).
      const hello = AnyHandshakeHello.safeParse(parsePayload(payload));
      if (hello.success) return this.handshake(sid, relayDevice, hello.data);
    }
    const secure = this.sessions.get(sid);
    if (!secure) return refuse(NO_SESSION_MESSAGE, "request before handshake");
    let opened: { seq: number; message: unknown };
    try {
      opened = typeof payload === "object" ? secure.channel.openBytes(payload) : secure.channel.open(payload ?? "");
    } catch (error) {
      // Someone between the device and us altered, replayed, reordered or forged a frame. Refuse it;
      // the channel itself is unharmed (a frame that fails changes no state), so the session goes on.
      return refuse("the request failed end-to-end verification", error instanceof SecureChannelError ? error.reason : "tampered");
    }
    const request = SealedRequest.safeParse(opened.message);
    if (!request.success) return refuse("the sealed request is not {method, params}", "bad sealed request");
    // Revoked while connected: the pairing record is gone, so is the session.
    const device = this.devices.get(secure.device.id);
    if (!device) {
      this.sessions.delete(sid);
      return refuse("this device is no longer paired with this PC", "device removed");
    }
    return { kind: "request", request: request.data.body, seq: opened.seq, device };
  }

  /** Seals a reply for session `sid`; undefined when the session has no channel (any more). */
  seal(sid: string, message: { k: "res" | "chunk" | "end"; re: number; body: unknown } | { k: "push"; body: unknown }): string | undefined {
    return this.sessions.get(sid)?.channel.seal(message).payload;
  }

  /** seal() as the bytes a binary data frame carries, after `headroom` free bytes for its header. */
  sealBytes(
    sid: string,
    message: { k: "res" | "chunk" | "end"; re: number; body: unknown } | { k: "push"; body: unknown },
    headroom = 0,
  ): Uint8Array | undefined {
    return this.sessions.get(sid)?.channel.sealBytes(message, headroom).bytes;
  }

  /** Sessions with a live channel, with their device: where pushes can go. */
  secured(): { sid: string; device: PairedDevice }[] {
    return [...this.sessions].map(([sid, s]) => ({ sid, device: s.device }));
  }

  forget(sid: string): void {
    this.sessions.delete(sid);
  }

  forgetAll(): void {
    this.sessions.clear();
  }

  private async handshake(sid: string, relayDevice: string, hello: AnyHandshakeHello): Promise<Incoming> {
    const device = this.devices.get(hello.dev);
    if (!device || hello.dev !== relayDevice) return refuse("this device is not paired with this PC: pair it again", "unknown device");
    if (hello.e2e === 1 && (this.options.now ?? Date.now)() >= V1_ACCEPTED_UNTIL) {
      return refuse("this app's end-to-end encryption is too old for this PC: update the app", "handshake v1 no longer accepted");
    }
    try {
      const keys = { agentKey: this.identity, devicePublicKey: device.key };
      const { answer, channel } = hello.e2e === 2 ? await acceptHandshakeV2(hello, keys) : await acceptHandshake(hello, keys);
      this.sessions.set(sid, { channel, device });
      return { kind: "handshake", answer, device };
    } catch {
      return refuse("the end-to-end handshake failed", "bad handshake");
    }
  }
}

function refuse(message: string, why: string): Incoming {
  return { kind: "refused", answer: { ok: false, error: { code: "failed", message } }, why };
}
