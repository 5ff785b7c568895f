/** Web Push settings, read from the environment by env.ts (docs/OPERATIONS.md lists them). */
export interface VapidKeys {
  /** base64url of the uncompressed P-256 point (65 bytes). */
  publicKey: string;
  /** base64url of the private scalar (32 bytes), a JWK's `d`. */
  privateKey: string;
}

export interface PushConfig {
  /** Null: the relay has no VAPID key, and sends no notifications. */
  vapid: VapidKeys | null;
  allowLoopback: boolean;
  /** Messages one Node may send per minute, to all its devices together. */
  perMinute: number;
}
