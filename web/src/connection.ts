/**
 * One live session with the PC through the relay, kept alive: it reconnects with full-jitter
 * backoff when the socket closes (DESIGN.md §4 uses the same for the agent), sends heartbeats, stores
 * a rotated credential, and tells the UI what state it is in. A device that was revoked stops
 * trying: retrying a dead credential would only hammer the relay.
 */
import { CloseCode, type MethodName, OraClient, OraError, type Push, type RequestArgs, type Result, type Welcome } from "@ora/protocol";
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

const BASE_MS = 500;
const CAP_MS = 30_000;
const HEARTBEAT_MS = 30_000;

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^n)]. */
export function fullJitter(attempt: number): number {
  return Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt);
}

export class Connection {
  private client: OraClient | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly pushListeners = new Set<(push: Push) => void>();
  private readonly readyListeners = new Set<(welcome: Welcome) => void>();
  state: ConnectionState = { phase: "connecting", pcOnline: false };

  constructor(private saved: SavedDevice) {
    // The browser knows when the network is back: no need to wait out the backoff then.
    addEventListener("online", () => this.state.phase === "waiting" && this.retryNow());
  }

  start(): void {
    void this.connect();
  }

  /** A request to the PC, typed and checked by the method catalogue; fails at once with node_offline when there is no session. */
  request<M extends MethodName>(method: M, ...args: RequestArgs<M>): Promise<Result<M>> {
    if (!this.client) return Promise.reject(new OraError("node_offline", "not connected"));
    return this.client.request(method, ...args);
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
    clearTimeout(this.timer);
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.set({ phase: "connecting", pcOnline: false });
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
    this.attempt = 0;
    client.onNodeStatus((online) => this.set({ ...this.state, pcOnline: online }));
    client.onPush((payload) => {
      for (const listener of this.pushListeners) listener(payload);
    });
    client.onClose((code) => this.closed(code));
    this.heartbeat = setInterval(() => client.ping(), HEARTBEAT_MS);
    this.set({ phase: "connected", pcOnline: client.online });
    for (const listener of this.readyListeners) listener(client.welcome);
  }

  /**
   * A browser sees a refused upgrade only as a closed socket, so "unauthorized" may also mean "the
   * relay is unreachable". If the relay answers its health check, it is the credential.
   */
  private async failed(error: unknown): Promise<void> {
    if (error instanceof OraError && error.code === "unauthorized" && (await relayAnswers(this.saved.relay)))
      return this.set({ phase: "revoked", pcOnline: false });
    this.schedule();
  }

  private closed(code: number): void {
    clearInterval(this.heartbeat);
    this.client = undefined;
    if (code === CloseCode.REVOKED || code === CloseCode.UNAUTHORIZED) return this.set({ phase: "revoked", pcOnline: false });
    // 1001: the owner asked for a credential rotation, which the next welcome carries: come back at once.
    if (code === CloseCode.GOING_AWAY) return void this.connect();
    this.schedule();
  }

  private schedule(): void {
    const delay = fullJitter(this.attempt++);
    this.set({ phase: "waiting", pcOnline: false, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => void this.connect(), delay);
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
