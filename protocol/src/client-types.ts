/** What the client library's callers see: its error, a device's identity, options, the welcome, pushes. */
import type { StaticKey } from "./crypto/keys.js";
import type { AnyErrorCode } from "./errors.js";
import type { Limits, Role } from "./frames.js";
import type { Chunk, EventData, EventName, MethodName, ParamsInput } from "./methods/index.js";

export class OraError extends Error {
  constructor(
    readonly code: AnyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OraError";
  }
}

/** What a paired device keeps: where its agent is, its relay credential, and both long-term keys. */
export interface DeviceIdentity {
  /** The relay's base URL, e.g. http://127.0.0.1:8787 or https://relay.example. */
  relay: string;
  device: string;
  /** The device credential (ora_dev_…). It travels in a header, never in the URL. */
  credential: string;
  key: StaticKey;
  agentPublicKey: Uint8Array;
}

export interface ConnectOptions {
  identity: DeviceIdentity;
  WebSocket?: typeof WebSocket;
  /** How long to wait for the relay's welcome. */
  timeoutMs?: number;
  /**
   * Called with a fresh credential when the relay rotated this device's (it asks for rotation in its
   * welcome; the client does it at once). Store it: the old one stops working once the new one is used.
   */
  onCredentialRotated?: (credential: string) => void | Promise<void>;
}

export interface Welcome {
  rotate?: boolean;
  session: string;
  device: string;
  role: Role;
  online: boolean;
  limits: Limits;
  /** The relay takes binary data frames from this session; an older relay does not say it (and refuses them). */
  bin?: boolean;
}

export interface RequestOptions<C = unknown> {
  signal?: AbortSignal;
  /**
   * Takes each streamed chunk. A returned promise holds the stream back: the agent gets more credit
   * only for chunks whose promise settled, so a slow reader slows the agent down rather than failing.
   * Any other return value is ignored.
   */
  onChunk?: (chunk: C) => unknown;
}

/** A method's params may be left out when its schema accepts nothing. */
export type RequestArgs<M extends MethodName> =
  undefined extends ParamsInput<M>
    ? [params?: ParamsInput<M>, options?: RequestOptions<Chunk<M>>]
    : [params: ParamsInput<M>, options?: RequestOptions<Chunk<M>>];

/** A push as the catalogue defines it (EVENTS); pushes that do not match it are dropped. */
export type Push = { [E in EventName]: { event: E; data: EventData<E> } }[EventName];
