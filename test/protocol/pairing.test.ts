/**
 * Pairing codes and the pairing exchange, without a relay: the ends agree only when they share the
 * code's secret words, and everything sealed in the exchange opens only at the other end.
 */
import {
  formatCode,
  generateKeyPair,
  newPairingSecret,
  PairingCodeError,
  PairingGuest,
  PairingHost,
  pairingUrl,
  parsePairingCode,
  staticKey,
  toBase64Url,
  type PairingGrant,
} from "@ora/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const grant = (agentPublicKey: Uint8Array): PairingGrant => ({
  relay: "http://127.0.0.1:8787",
  node: "n1",
  device: "dev1",
  credential: `ora_dev_${"A".repeat(75)}`,
  role: "guest",
  name: "Pixel 9",
  agentPublicKey: toBase64Url(agentPublicKey),
});

function exchange(hostSecret: string, guestSecret: string, nameplate = "7") {
  const host = new PairingHost(nameplate, hostSecret);
  const deviceKey = generateKeyPair();
  const guest = new PairingGuest(nameplate, guestSecret, { name: "Pixel 9", key: staticKey(deviceKey.secretKey) });
  const m1 = JSON.parse(JSON.stringify(host.first()));
  const { reply, verification } = guest.respond(m1);
  return { host, guest, reply: JSON.parse(JSON.stringify(reply)), verification, deviceKey };
}

describe("pairing codes", () => {
  it("makes codes of a nameplate and three list words that read back to the same secret", () => {
    for (let i = 0; i < 50; i++) {
      const secret = newPairingSecret();
      expect(secret.split("-")).toHaveLength(3);
      expect(parsePairingCode(formatCode("42", secret))).toEqual({ nameplate: "42", secret });
    }
  });

  it("accepts what people type: spaces, capitals, four-letter short forms, and the pairing link", () => {
    expect(parsePairingCode("  7 Orbit VELVET cannon ")).toEqual({ nameplate: "7", secret: "orbit-velvet-cannon" });
    expect(parsePairingCode("7-orbi-velv-cann")).toEqual({ nameplate: "7", secret: "orbit-velvet-cannon" });
    const url = pairingUrl("https://relay.example", "7-orbit-velvet-cannon");
    expect(url).toBe("https://relay.example/pair#7-orbit-velvet-cannon");
    expect(parsePairingCode(url)).toEqual({ nameplate: "7", secret: "orbit-velvet-cannon", relay: "https://relay.example" });
  });

  it("refuses a code without its secret part, with unknown words, or without a nameplate", () => {
    for (const bad of [
      "7",
      "7-",
      "https://relay.example/pair#7",
      "https://relay.example/pair",
      "orbit-velvet-cannon",
      "0-orbit-velvet-cannon",
      "7-orbit-velvet",
      "7-orbit-velvet-cannon-extra",
      "7-orbitx-velvet-cannon",
      "7-qqq-velvet-cannon",
    ]) {
      expect(() => parsePairingCode(bad), bad).toThrow(PairingCodeError);
    }
    expect(() => parsePairingCode("7")).toThrow(/missing its secret words/);
  });
});

describe("the pairing exchange", () => {
  it("pairs when both ends share the code: same digits on both screens, keys and grant delivered", () => {
    const { host, guest, reply, verification, deviceKey } = exchange("orbit-velvet-cannon", "orbit-velvet-cannon");
    const received = host.receive(reply);
    expect(received.verification).toBe(verification);
    expect(verification).toMatch(/^\d{3} \d{3}$/);
    expect(received.guest.name).toBe("Pixel 9");
    expect(toBase64Url(received.guest.key)).toBe(toBase64Url(deviceKey.publicKey));
    const agent = generateKeyPair();
    const m3 = JSON.parse(JSON.stringify(host.grant(grant(agent.publicKey))));
    expect(guest.accept(m3)).toEqual(grant(agent.publicKey));
  });

  it("fails on the host with wrong_code when the guest typed another code, before anything is granted", () => {
    fc.assert(
      fc.property(fc.constantFrom("orbit-velvet-cannon", "orbit-velvet-canal", "abandon-ability-able"), (typed) => {
        const { host, reply } = exchange("orbit-velvet-cannon", typed);
        if (typed === "orbit-velvet-cannon") expect(host.receive(reply).guest.name).toBe("Pixel 9");
        else expect(() => host.receive(reply)).toThrow(expect.objectContaining({ reason: "wrong_code" }));
      }),
    );
  });

  it("fails when the nameplate differs (the code is bound to its offer)", () => {
    const host = new PairingHost("7", "orbit-velvet-cannon");
    const guest = new PairingGuest("8", "orbit-velvet-cannon", { name: "x", key: staticKey(generateKeyPair().secretKey) });
    expect(() => host.receive(guest.respond(host.first()).reply)).toThrow(expect.objectContaining({ reason: "wrong_code" }));
  });

  it("refuses a tampered confirmation or grant on the guest, and a refusal reads as refused", () => {
    const { host, guest, reply } = exchange("orbit-velvet-cannon", "orbit-velvet-cannon");
    host.receive(reply);
    const m3 = host.grant(grant(generateKeyPair().publicKey)) as { mac: string; box: string };
    const flip = (text: string) => (text[0] === "A" ? "B" : "A") + text.slice(1);
    expect(() => guest.accept({ ...m3, mac: flip(m3.mac) })).toThrow();
    expect(() => guest.accept({ ...m3, box: m3.box.slice(0, -4) + (m3.box.endsWith("AAAA") ? "BBBB" : "AAAA") })).toThrow(
      expect.objectContaining({ reason: "malformed" }),
    );
    expect(() => guest.accept(host.refuse())).toThrow(expect.objectContaining({ reason: "refused" }));
  });

  it("refuses malformed messages with a typed error instead of crashing", () => {
    const host = new PairingHost("7", "orbit-velvet-cannon");
    for (const bad of [null, 1, "x", {}, { yb: "!!", mac: "x", box: "y" }, { yb: "AAAA", mac: "AAAA", box: "AAAA" }]) {
      expect(() => host.receive(bad)).toThrow(expect.objectContaining({ name: "PairingError" }));
    }
    const guest = new PairingGuest("7", "orbit-velvet-cannon", { name: "x", key: staticKey(generateKeyPair().secretKey) });
    for (const bad of [null, { v: 2, sid: "AAAA", ya: "AAAA" }, { v: 1, sid: "AAAA", ya: "AAAA" }]) {
      expect(() => guest.respond(bad)).toThrow(expect.objectContaining({ name: "PairingError" }));
    }
  });
});
