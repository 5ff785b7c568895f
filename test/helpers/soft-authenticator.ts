/**
 * A software WebAuthn authenticator for agent-side tests: a P-256 key, "none" attestation, and
 * assertions signed over exactly what a browser would send (clientDataJSON with the challenge and
 * origin, authenticator data with the RP ID hash, flags and counter). `uv: false` leaves the user
 * verification flag off, as an authenticator without a biometric would. The Chromium tests use the
 * browser's own virtual authenticator instead.
 */
import type { PasskeyAssertion, PasskeyCreationOptions, PasskeyRegistration, PasskeyRequestOptions } from "@ora/protocol";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

export interface SoftAuthenticatorOptions {
  origin: string;
  rpID: string;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly key: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter = 0;

  constructor(private readonly options: SoftAuthenticatorOptions) {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.key = pair.privateKey;
    const jwk = pair.publicKey.export({ format: "jwk" });
    this.publicJwk = { x: jwk.x!, y: jwk.y! };
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  create(creation: PasskeyCreationOptions, { uv = true } = {}): PasskeyRegistration {
    const cose = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(this.publicJwk.x, "base64url")],
      [-3, Buffer.from(this.publicJwk.y, "base64url")],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, Buffer.from(isoCBOR.encode(cose))]);
    const authData = Buffer.concat([this.authData(creation.rp.id ?? this.options.rpID, uv, 0x40), attested]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]) as never,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: this.clientData("webauthn.create", creation.challenge),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
    };
  }

  get(request: PasskeyRequestOptions, { uv = true, origin = this.options.origin } = {}): PasskeyAssertion {
    this.counter += 1;
    const authenticatorData = this.authData(request.rpId ?? this.options.rpID, uv, 0);
    const clientDataJSON = this.clientData("webauthn.get", request.challenge, origin);
    const signature = sign("sha256", Buffer.concat([authenticatorData, sha256(Buffer.from(clientDataJSON, "base64url"))]), this.key);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON, authenticatorData: b64url(authenticatorData), signature: b64url(signature) },
      clientExtensionResults: {},
    };
  }

  private authData(rpID: string, uv: boolean, extra: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const flags = 0x01 | (uv ? 0x04 : 0) | extra; // UP, UV, AT
    return Buffer.concat([sha256(rpID), Buffer.from([flags]), counter]);
  }

  private clientData(type: string, challenge: string, origin = this.options.origin): string {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })).toString("base64url");
  }
}
