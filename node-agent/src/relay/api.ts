/**
 * The relay's HTTP API as the agent uses it: registration, its devices and their push endpoints.
 * Routes and shapes are protocol's RELAY_HTTP; every answer is parsed with it, so a relay that answers
 * something else is a RelayHttpError that says so, never a half-read value.
 */
import {
  ErrorBody,
  RELAY_HTTP,
  routePath,
  type BodyOf,
  type ClosedSessions,
  type DepositBodyInput,
  type DepositSet,
  type DepositWithdrawn,
  type Device,
  type ErrorCode,
  type HttpRoute,
  type LockdownState,
  type MintDeviceBody,
  type MintedDevice,
  type NodeRegistered,
  type PushEndpointRemoved,
  type PushEndpointSet,
  type PushMessageBody,
  type PushSent,
} from "@ora/protocol";
import type { z } from "zod/mini";
import { UserError } from "../errors.js";

/**
 * A call to the relay that did not succeed: it could not be reached, it refused (with an error code
 * when its answer had one), or it answered something that is not what the route answers.
 */
export class RelayHttpError extends UserError {
  constructor(
    message: string,
    readonly reason: "unreachable" | "refused" | "malformed",
    readonly status: number | null = null,
    readonly code: ErrorCode | null = null,
    /** Seconds, from a 429's Retry-After. */
    readonly retryAfterSec: number | null = null,
  ) {
    super(message, 3);
    this.name = "RelayHttpError";
  }
}

interface CallOptions<R extends HttpRoute> {
  path: string;
  credential?: string;
  body?: BodyOf<R>;
  timeoutMs?: number;
}

async function call<S extends z.ZodMiniType, R extends HttpRoute>(relay: string, route: R & { response: S }, options: CallOptions<R>): Promise<z.output<S>> {
  const headers = new Headers();
  if (options.credential) headers.set("Authorization", `Bearer ${options.credential}`);
  if (options.body !== undefined) headers.set("Content-Type", "application/json");
  let response: Response;
  let text: string;
  try {
    response = await fetch(new URL(options.path, relay), {
      method: route.method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    text = await response.text();
  } catch {
    throw new RelayHttpError(`cannot reach the relay at ${relay}: is it running, and is the URL right?`, "unreachable");
  }
  const json = parseJson(text);
  if (!response.ok) {
    const refusal = ErrorBody.safeParse(json);
    const { message, code } = refusal.success ? refusal.data : { message: response.statusText, code: null };
    const retryAfter = response.status === 429 ? Number(response.headers.get("Retry-After") ?? Number.NaN) : Number.NaN;
    const hint = response.status === 429 ? ` (retry after ${Number.isFinite(retryAfter) ? retryAfter : "a while"} s)` : "";
    throw new RelayHttpError(
      `the relay refused: ${message} [${code ?? response.status}]${hint}`,
      "refused",
      response.status,
      code,
      Number.isFinite(retryAfter) ? retryAfter : null,
    );
  }
  const answer = route.response.safeParse(json);
  if (!answer.success) {
    const issue = answer.error.issues[0];
    const what = json === undefined ? "a body that is not JSON" : `an unexpected body (${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"})`;
    throw new RelayHttpError(
      `the relay at ${relay} answered ${route.method} ${route.path} with ${what}: is this URL an ORA relay, of a version that matches this agent?`,
      "malformed",
      response.status,
    );
  }
  return answer.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function registerNode(relay: string, registrationSecret?: string): Promise<NodeRegistered> {
  const route = RELAY_HTTP.registerNode;
  return call(relay, route, { path: routePath(route), credential: registrationSecret });
}

export function mintDevice(relay: string, credential: string, input: MintDeviceBody): Promise<MintedDevice> {
  const route = RELAY_HTTP.mintDevice;
  return call(relay, route, { path: routePath(route), credential, body: input });
}

export async function listDevices(relay: string, credential: string): Promise<Device[]> {
  const route = RELAY_HTTP.listDevices;
  return (await call(relay, route, { path: routePath(route), credential })).devices;
}

export function revokeDevice(relay: string, credential: string, id: string): Promise<ClosedSessions> {
  const route = RELAY_HTTP.revokeDevice;
  return call(relay, route, { path: routePath(route, { id }), credential });
}

export function renameDevice(relay: string, credential: string, id: string, name: string): Promise<Device> {
  const route = RELAY_HTTP.renameDevice;
  return call(relay, route, { path: routePath(route, { id }), credential, body: { name } });
}

/** Asks the relay to rotate a device's credential: it closes the device's sockets, and the device rotates as it reconnects. */
export function rotateDevice(relay: string, credential: string, id: string): Promise<ClosedSessions> {
  const route = RELAY_HTTP.rotateDevice;
  return call(relay, route, { path: routePath(route, { id }), credential });
}

/** Tells the relay where a device's push subscription lives (the endpoint URL only; its keys stay here). */
export function setPushEndpoint(relay: string, credential: string, id: string, endpoint: string): Promise<PushEndpointSet> {
  const route = RELAY_HTTP.setPushEndpoint;
  return call(relay, route, { path: routePath(route, { id }), credential, body: { endpoint } });
}

export function deletePushEndpoint(relay: string, credential: string, id: string): Promise<PushEndpointRemoved> {
  const route = RELAY_HTTP.deletePushEndpoint;
  return call(relay, route, { path: routePath(route, { id }), credential });
}

/** Hands the relay one encrypted notification for a device; `gone` means the subscription no longer exists. */
export function sendPush(relay: string, credential: string, id: string, message: PushMessageBody): Promise<PushSent> {
  const route = RELAY_HTTP.sendPush;
  // The relay retries a failing push service a few times before it answers (worker/src/push/deliver.ts).
  return call(relay, route, { path: routePath(route, { id }), credential, body: message, timeoutMs: 30_000 });
}

/** Leaves a sealed reminder notification at the relay, which sends it at `dueAt` unless it is withdrawn first. */
export function setDeposit(relay: string, credential: string, id: string, deposit: DepositBodyInput): Promise<DepositSet> {
  const route = RELAY_HTTP.setDeposit;
  return call(relay, route, { path: routePath(route, { id }), credential, body: deposit });
}

/** Takes a deposit back; the answer says whether the relay had already sent it. */
export function withdrawDeposit(relay: string, credential: string, id: string): Promise<DepositWithdrawn> {
  const route = RELAY_HTTP.withdrawDeposit;
  return call(relay, route, { path: routePath(route, { id }), credential });
}

/** Puts the Node in lockdown at the relay: every session but `keepDevice`'s is closed, pairing refused. */
export function setLockdown(relay: string, credential: string, keepDevice: string | null): Promise<LockdownState> {
  const route = RELAY_HTTP.setLockdown;
  return call(relay, route, { path: routePath(route), credential, body: keepDevice === null ? {} : { keepDevice } });
}

/** Lifts the Node's lockdown at the relay. */
export function clearLockdown(relay: string, credential: string): Promise<LockdownState> {
  const route = RELAY_HTTP.clearLockdown;
  return call(relay, route, { path: routePath(route), credential });
}
