/**
 * One live session with the PC through the relay, kept alive: the shared reconnect loop
 * (@ora/protocol's Reconnector, the agent's connector uses the same) comes back with full-jitter
 * backoff when the socket closes; this file adds heartbeats, stores a rotated credential, and tells
 * the UI what state it is in. A device that was revoked stops trying: retrying a dead credential
 * would only hammer the relay.
 */
import {
  type AttemptOutcome,
  CloseCode,
  type MethodName,
  OraClient,
  OraError,
  type Push,
  type ReconnectState,
  Reconnector,
  type RequestArgs,
  type Result,
  type Welcome,
} from "@ora/protocol";
import { staticKeyOf } from "./keys.js";
import { saveDevice, type SavedDevice } from "./store.js";

export type Phase = "connecting" | "connected" | "waiting" | "revoked";

export interface ConnectionState {
  phase: Phase;
  /** Whether the PC's agent is connected to the relay (only meaningful while connected). */
  pcOnline: boolean;
  /** When the next attempt starts, while waiting. */
  retryAt?: number;
}

const HEARTBEAT_MS = 30_000;

export class Connection {
  private client: OraClient | undefined;
  private readonly reconnector = new Reconnector({ attempt: () => this.session(), onState: (state) => this.reconnecting(state) });
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly pushListeners = new Set<(push: Push) => void>();
  private readonly readyListeners = new Set<(welcome: Welcome) => void>();
  state: ConnectionState = { phase: "connecting", pcOnline: false };

  constructor(private saved: SavedDevice) {
    // The browser knows when the network is back: no need to wait out the backoff then.
    addEventListener("online", () => this.state.phase === "waiting" && this.retryNow());
  }

  start(): void {
    void this.reconnector.run();
  }

  /** A request to the PC, typed and checked by the method catalogue; fails at once with node_offline when there is no session. */
  request<M extends MethodName>(method: M, ...args: RequestArgs<M>): Promise<Result<M>> {
    if (!this.client) return Promise.reject(new OraError("node_offline", "not connected"));
    return this.client.request(method, ...args);
  }

  /** The session's client itself, for a loop that paces its own requests (file transfers); node_offline when there is none. */
  live(): OraClient {
    if (!this.client) throw new OraError("node_offline", "not connected");
    return this.client;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  onPush(listener: (push: Push) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /** Called after every (re)connection: views reload what may have changed meanwhile. */
  onReady(listener: (welcome: Welcome) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  retryNow(): void {
    this.reconnector.retryNow();
  }

  /** One session with the relay, from connecting until its socket closes: how it ended decides what next. */
  private async session(): Promise<AttemptOutcome> {
    const saved = this.saved;
    let client: OraClient;
    try {
      client = await OraClient.connect({
        identity: { relay: saved.relay, device: saved.device, credential: saved.credential, key: staticKeyOf(saved.key), agentPublicKey: saved.agentPublicKey },
        onCredentialRotated: async (credential) => {
          this.saved = { ...this.saved, credential };
          await saveDevice(this.saved);
        },
      });
    } catch (error) {
      return this.failed(error);
    }
    this.client = client;
    const closed = new Promise<number>((resolve) => client.onClose(resolve));
    client.onNodeStatus((online) => this.set({ ...this.state, pcOnline: online }));
    client.onPush((payload) => {
      for (const listener of this.pushListeners) listener(payload);
    });
    const heartbeat = setInterval(() => client.ping(), HEARTBEAT_MS);
    this.set({ phase: "connected", pcOnline: client.online });
    for (const listener of this.readyListeners) listener(client.welcome);
    const code = await closed;
    clearInterval(heartbeat);
    this.client = undefined;
    if (code === CloseCode.REVOKED || code === CloseCode.UNAUTHORIZED) return { connected: true, reason: "revoked", next: "stop" };
    // 1001: the owner asked for a credential rotation, which the next welcome carries: come back at once.
    if (code === CloseCode.GOING_AWAY) return { connected: true, reason: "asked to reconnect", next: "now" };
    return { connected: true, reason: `closed ${code}` };
  }

  /**
   * A browser sees a refused upgrade only as a closed socket, so "unauthorized" may also mean "the
   * relay is unreachable". If the relay answers its health check, it is the credential.
   */
  private async failed(error: unknown): Promise<AttemptOutcome> {
    if (error instanceof OraError && error.code === "unauthorized" && (await relayAnswers(this.saved.relay)))
      return { connected: false, reason: "revoked", next: "stop" };
    return { connected: false, reason: error instanceof Error ? error.message : String(error) };
  }

  private reconnecting(state: ReconnectState): void {
    if (state.status === "connecting") this.set({ phase: "connecting", pcOnline: false });
    else if (state.status === "waiting") this.set({ phase: "waiting", pcOnline: false, retryAt: state.retryAt });
    // Nothing stops this loop but a revoked credential.
    else this.set({ phase: "revoked", pcOnline: false });
  }

  private set(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

async function relayAnswers(relay: string): Promise<boolean> {
  try {
    return (await fetch(new URL("/healthz", relay), { cache: "no-store" })).ok;
  } catch {
    return false;
  }
}
