import { PAIR_TTL, type AgentReleases, type Limits } from "@ora/protocol";
import type { DepositConfig } from "./deposits/deposits.js";
import { agentReleases } from "./mux/handshake.js";
import type { NodeObject } from "./node/node-object.js";
import type { PushConfig, VapidKeys } from "./push/config.js";
import type { Registry } from "./registry.js";

export interface Env {
  NODE: DurableObjectNamespace<NodeObject>;
  REGISTRY: DurableObjectNamespace<Registry>;
  ASSETS?: Fetcher;
  /** Secret: keys the hashes under which credentials are stored. Without it the relay refuses to work. */
  ORA_TOKEN_PEPPER?: string;
  /** Secret: guards /v1/admin. Without it the admin API is off. */
  ORA_ADMIN_TOKEN?: string;
  /** Secret: when set, registering a Node requires it. */
  ORA_REGISTRATION_SECRET?: string;
  ORA_RELAY_MAX_PENDING?: string;
  ORA_RELAY_MAX_PENDING_PER_SESSION?: string;
  ORA_RELAY_CLIENT_TIMEOUT_SEC?: string;
  ORA_RELAY_STREAM_MAX_SEC?: string;
  ORA_RELAY_MAX_MESSAGE_BYTES?: string;
  ORA_RELAY_WINDOW_BYTES?: string;
  ORA_RELAY_STREAM_WINDOW_BYTES?: string;
  ORA_RELAY_HELLO_TIMEOUT_SEC?: string;
  ORA_RELAY_MAX_SESSIONS?: string;
  ORA_REGISTER_LIMIT_PER_HOUR?: string;
  ORA_PAIR_MAX_OFFERS?: string;
  ORA_PAIR_MAX_TTL_SEC?: string;
  ORA_PAIR_CLAIMS_PER_MINUTE?: string;
  ORA_PAIR_ATTEMPTS_PER_NAMEPLATE?: string;
  ORA_PAIR_CLAIMS_PER_HOUR?: string;
  ORA_DEVICE_IDLE_DAYS?: string;
  ORA_DEVICE_MAX_DAYS?: string;
  ORA_DEVICE_ROTATE_DAYS?: string;
  ORA_DEVICE_ROTATIONS_PER_HOUR?: string;
  /** Secret: the VAPID private key (base64url P-256 scalar). With the public key it turns Web Push on. */
  ORA_VAPID_PRIVATE_KEY?: string;
  /** The VAPID public key (base64url uncompressed P-256 point), handed to web clients. */
  ORA_VAPID_PUBLIC_KEY?: string;
  /** Who push services may contact about this relay's messages: a mailto: or https: URL. */
  ORA_VAPID_SUBJECT?: string;
  /** "1": also send to http://127.0.0.1:<port> (a local fake push service). Dev and tests only. */
  ORA_PUSH_ALLOW_LOOPBACK?: string;
  ORA_PUSH_PER_MINUTE?: string;
  ORA_DEPOSITS_PER_NODE?: string;
  /** The newest ora-agent release (x.y.z), announced to agents in their welcome. */
  ORA_AGENT_LATEST?: string;
  /** The oldest ora-agent release still safe to run (x.y.z): older agents are refused with upgrade_required. */
  ORA_AGENT_MINIMUM?: string;
}

export interface RelayConfig extends Limits {
  streamWindowBytes: number;
  helloTimeoutSec: number;
  registerLimitPerHour: number;
  agentReleases: AgentReleases;
}

/** workerd refuses WebSocket messages above 32 MiB, so no setting may go past it. */
const WORKERD_MESSAGE_CAP = 32 * 1024 * 1024;

function setting(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  // A bad setting falls back rather than taking the relay down; the clamp keeps it within reason.
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

export function relayConfig(env: Env): RelayConfig {
  const maxPending = Math.floor(setting(env.ORA_RELAY_MAX_PENDING, 1024, 1, 100_000));
  const maxMessageBytes = Math.floor(setting(env.ORA_RELAY_MAX_MESSAGE_BYTES, 1024 * 1024, 1024, WORKERD_MESSAGE_CAP));
  const windowBytes = Math.floor(setting(env.ORA_RELAY_WINDOW_BYTES, 4 * maxMessageBytes, maxMessageBytes, 256 * 1024 * 1024));
  return {
    maxPending,
    maxPendingPerSession: Math.floor(setting(env.ORA_RELAY_MAX_PENDING_PER_SESSION, Math.max(1, Math.ceil(maxPending / 4)), 1, maxPending)),
    timeoutSec: setting(env.ORA_RELAY_CLIENT_TIMEOUT_SEC, 30, 0.05, 3600),
    streamMaxSec: setting(env.ORA_RELAY_STREAM_MAX_SEC, 600, 0.05, 86_400),
    maxMessageBytes,
    windowBytes,
    // A stream goes at most this far ahead of its reader: an eighth of the session window by default,
    // so that several streams of one session fit in it with the acknowledgement lag to spare.
    streamWindowBytes: Math.floor(setting(env.ORA_RELAY_STREAM_WINDOW_BYTES, windowBytes / 8, 1024, windowBytes / 2)),
    helloTimeoutSec: setting(env.ORA_RELAY_HELLO_TIMEOUT_SEC, 10, 0.05, 120),
    registerLimitPerHour: Math.floor(setting(env.ORA_REGISTER_LIMIT_PER_HOUR, 20, 1, 100_000)),
    agentReleases: agentReleases(env.ORA_AGENT_LATEST, env.ORA_AGENT_MINIMUM),
  };
}

/**
 * Open client sessions one Node's object holds before it refuses more (`session_limit`). The default
 * keeps a production object inside its 128 MB even if the runtime's memory per socket counted against
 * it, not only the heap measured per session (docs/OPERATIONS.md, sessions per Node).
 */
export function maxSessions(env: Env): number {
  return Math.floor(setting(env.ORA_RELAY_MAX_SESSIONS, 500, 1, 100_000));
}

export interface PairingConfig {
  /** Offers one Node may hold at once. */
  maxOffers: number;
  /** The longest an offer lives, whatever its host asks for (the offer's answer says when it expires). */
  maxTtlMs: number;
  /** Claims per client address per minute, counted by the registry before any lookup. */
  claimsPerMinute: number;
  /** Claim connections one nameplate may receive while its offer lives. */
  attemptsPerNameplate: number;
  /** Claims one Node's offers may receive per hour, whatever their source. */
  claimsPerHour: number;
}

export function pairingConfig(env: Env): PairingConfig {
  return {
    maxOffers: Math.floor(setting(env.ORA_PAIR_MAX_OFFERS, 4, 1, 64)),
    maxTtlMs: Math.round(setting(env.ORA_PAIR_MAX_TTL_SEC, PAIR_TTL.maxSec, 0.05, PAIR_TTL.maxSec) * 1000),
    claimsPerMinute: Math.floor(setting(env.ORA_PAIR_CLAIMS_PER_MINUTE, 10, 1, 10_000)),
    attemptsPerNameplate: Math.floor(setting(env.ORA_PAIR_ATTEMPTS_PER_NAMEPLATE, 5, 1, 1000)),
    claimsPerHour: Math.floor(setting(env.ORA_PAIR_CLAIMS_PER_HOUR, 30, 1, 100_000)),
  };
}

const DAY_MS = 86_400_000;

export interface CredentialConfig {
  /** A device credential unused this long is refused. */
  idleMs: number;
  /** No device credential lives longer than this from its minting (the default lifetime, and the cap). */
  maxMs: number;
  /** A credential older than this is asked to rotate in the welcome. */
  rotateMs: number;
  rotationsPerHour: number;
}

export function credentialConfig(env: Env): CredentialConfig {
  // Fractions of a day are accepted so that tests can exercise expiry in seconds.
  return {
    idleMs: Math.round(setting(env.ORA_DEVICE_IDLE_DAYS, 90, 0.00001, 3650) * DAY_MS),
    maxMs: Math.round(setting(env.ORA_DEVICE_MAX_DAYS, 365, 0.00001, 3650) * DAY_MS),
    rotateMs: Math.round(setting(env.ORA_DEVICE_ROTATE_DAYS, 30, 0.00001, 3650) * DAY_MS),
    rotationsPerHour: Math.floor(setting(env.ORA_DEVICE_ROTATIONS_PER_HOUR, 10, 1, 1000)),
  };
}

export function pushConfig(env: Env): PushConfig {
  return {
    vapid: vapidKeys(env),
    allowLoopback: env.ORA_PUSH_ALLOW_LOOPBACK === "1",
    perMinute: Math.floor(setting(env.ORA_PUSH_PER_MINUTE, 60, 1, 10_000)),
  };
}

/** Reminder deposits send through Web Push, so they are on exactly when `push` has a VAPID key. */
export function depositConfig(env: Env, push: PushConfig): DepositConfig {
  return {
    perNode: Math.floor(setting(env.ORA_DEPOSITS_PER_NODE, 200, 1, 10_000)),
    pushOn: push.vapid !== null,
  };
}

export function vapidKeys(env: Env): VapidKeys | null {
  const publicKey = env.ORA_VAPID_PUBLIC_KEY?.trim();
  const privateKey = env.ORA_VAPID_PRIVATE_KEY?.trim();
  if (!publicKey || !privateKey) return null;
  if (!/^B[A-Za-z0-9_-]{86}$/.test(publicKey) || !/^[A-Za-z0-9_-]{43}$/.test(privateKey)) {
    // Never the values themselves: one of them is a secret.
    console.error("ORA_VAPID_PUBLIC_KEY / ORA_VAPID_PRIVATE_KEY are not base64url P-256 keys; notifications are off");
    return null;
  }
  return { publicKey, privateKey };
}

/** The VAPID `sub` claim: the operator's contact, or else the relay's own address. */
export function vapidSubject(env: Env, relayOrigin: string): string {
  return env.ORA_VAPID_SUBJECT?.trim() || relayOrigin;
}
