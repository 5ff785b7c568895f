/** The relay's HTTP API as the agent uses it: registration and its devices. */
import type { Device, Role } from "@ora/protocol";
import { UserError } from "../errors.js";

async function call<T>(relay: string, path: string, init: RequestInit & { credential?: string }): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.credential) headers.set("Authorization", `Bearer ${init.credential}`);
  if (init.body) headers.set("Content-Type", "application/json");
  let response: Response;
  try {
    response = await fetch(new URL(path, relay), { ...init, headers, signal: AbortSignal.timeout(15_000) });
  } catch {
    throw new UserError(`cannot reach the relay at ${relay}: is it running, and is the URL right?`, 3);
  }
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok) {
    const hint = response.status === 429 ? ` (retry after ${response.headers.get("Retry-After") ?? "a while"} s)` : "";
    throw new UserError(`the relay refused: ${body.message ?? response.statusText} [${body.code ?? response.status}]${hint}`, 3);
  }
  return body as T;
}

export function registerNode(relay: string, registrationSecret?: string): Promise<{ nodeId: string; credential: string }> {
  return call(relay, "/v1/nodes", { method: "POST", credential: registrationSecret });
}

export function mintDevice(
  relay: string,
  credential: string,
  input: { name: string; role: Role; expiresInSec?: number },
): Promise<Device & { credential: string }> {
  return call(relay, "/v1/node/devices", { method: "POST", credential, body: JSON.stringify(input) });
}

export async function listDevices(relay: string, credential: string): Promise<Device[]> {
  return (await call<{ devices: Device[] }>(relay, "/v1/node/devices", { method: "GET", credential })).devices;
}

export function revokeDevice(relay: string, credential: string, id: string): Promise<{ closedSessions: number }> {
  return call(relay, `/v1/node/devices/${encodeURIComponent(id)}`, { method: "DELETE", credential });
}

export function renameDevice(relay: string, credential: string, id: string, name: string): Promise<unknown> {
  return call(relay, `/v1/node/devices/${encodeURIComponent(id)}`, { method: "PATCH", credential, body: JSON.stringify({ name }) });
}

/** Asks the relay to rotate a device's credential: it closes the device's sockets, and the device rotates as it reconnects. */
export function rotateDevice(relay: string, credential: string, id: string): Promise<unknown> {
  return call(relay, `/v1/node/devices/${encodeURIComponent(id)}/rotate`, { method: "POST", credential });
}
