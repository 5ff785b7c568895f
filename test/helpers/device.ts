/**
 * A paired device without running the pairing ceremony: a fresh long-term key, a relay credential
 * minted by the Node, and the device written into the agent's paired-device list, exactly as
 * `ora-agent pair` leaves them. Tests about anything but pairing itself start from here.
 */
import { beginHandshake, beginHandshakeV2, type SecureChannel, generateKeyPair, staticKey, toBase64Url, type DeviceIdentity, type Role } from "@ora/protocol";
import { loadOrCreateIdentity, PairedDevices } from "ora-agent";
import type { Relay } from "./relay.js";

export interface ProvisionedDevice extends DeviceIdentity {
  secretKey: Uint8Array;
}

export async function provisionDevice(
  relay: Relay,
  agent: { stateDir: string; node(): { credential: string } },
  name: string,
  role: Role = "owner",
): Promise<ProvisionedDevice> {
  const keys = generateKeyPair();
  const { id, credential } = await relay.mintDevice(agent.node().credential, name, role);
  new PairedDevices(agent.stateDir).add({ id, name, role, publicKey: toBase64Url(keys.publicKey), pairedAt: new Date().toISOString() });
  const agentKey = loadOrCreateIdentity(agent.stateDir);
  return { relay: relay.url, device: id, credential, key: staticKey(keys.secretKey), agentPublicKey: agentKey.publicKey, secretKey: keys.secretKey };
}

/**
 * A device's end of the encryption for tests that speak raw frames (a scripted relay side): it is
 * paired into the agent's state directory and seals requests / opens replies by hand.
 */
export class DeviceCrypto {
  private channel: SecureChannel | undefined;
  private handshake: { finish(answer: unknown): Promise<SecureChannel> } | undefined;
  readonly key = generateKeyPair();

  constructor(
    readonly stateDir: string,
    readonly id = "d1",
    readonly role: Role = "owner",
    /** The handshake version this device speaks: 1 plays an app from before version 2. */
    readonly version: 1 | 2 = 2,
  ) {
    new PairedDevices(stateDir).add({ id, name: `${id}-name`, role, publicKey: toBase64Url(this.key.publicKey), pairedAt: new Date().toISOString() });
  }

  async hello(): Promise<string> {
    const keys = { device: this.id, deviceKey: staticKey(this.key.secretKey), agentPublicKey: loadOrCreateIdentity(this.stateDir).publicKey };
    const handshake = this.version === 1 ? beginHandshake(keys) : await beginHandshakeV2(keys);
    this.handshake = handshake;
    return JSON.stringify(handshake.hello);
  }

  async finish(answerPayload: string | undefined): Promise<void> {
    this.channel = await this.handshake!.finish(JSON.parse(answerPayload ?? "null"));
  }

  seal(method: string, params?: unknown): { payload: string; seq: number } {
    return this.channel!.seal({ k: "req", body: { method, params } });
  }

  open(payload: string | undefined): any {
    return this.channel!.open(payload ?? "").message;
  }
}
