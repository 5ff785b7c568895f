/**
 * Starts the real relay Worker in workerd (the same runtime as `wrangler dev`) on a free loopback
 * port, with fresh storage and the given settings, and offers the operator's and the agent's HTTP
 * calls the tests need.
 */
import { unstable_startWorker } from "wrangler";
import { fileURLToPath } from "node:url";

export const PEPPER = "e2e-test-pepper-0123456789abcdef";
export const ADMIN_TOKEN = "e2e-admin-token-0123456789";

const config = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));

export interface AuditEntry {
  seq: number;
  at: number;
  kind: string;
  device: string | null;
  detail: string | null;
}

export interface Relay {
  url: string;
  admin(path: string): Promise<Response>;
  register(): Promise<{ nodeId: string; credential: string }>;
  mintDevice(nodeCredential: string, name: string, role?: "owner" | "sub-admin" | "guest", expiresInSec?: number): Promise<{ id: string; credential: string }>;
  revokeDevice(nodeCredential: string, id: string): Promise<Response>;
  metrics(nodeId: string): Promise<Record<string, any>>;
  /** The operator's view of a Node's audit trail, as text (so tests can search it) and parsed. */
  audit(nodeId: string, query?: string): Promise<{ text: string; entries: AuditEntry[] }>;
  /** A Node's own view of its audit trail. */
  nodeAudit(nodeCredential: string, query?: string): Promise<Response>;
  renameDevice(nodeCredential: string, id: string, name: string): Promise<Response>;
  requestRotation(nodeCredential: string, id: string): Promise<Response>;
  dispose(): Promise<void>;
}

export async function startRelay(vars: Record<string, string> = {}): Promise<Relay> {
  // Empty settings override whatever a local `.dev.vars` holds (npm start writes a VAPID key there):
  // a test relay has Web Push only when the test asks for it.
  const secrets = {
    ORA_TOKEN_PEPPER: PEPPER,
    ORA_ADMIN_TOKEN: ADMIN_TOKEN,
    ORA_VAPID_PUBLIC_KEY: "",
    ORA_VAPID_PRIVATE_KEY: "",
    ORA_VAPID_SUBJECT: "",
    ORA_PUSH_ALLOW_LOOPBACK: "",
    ...vars,
  };
  const worker = await unstable_startWorker({
    config,
    bindings: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { type: "plain_text" as const, value: v }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "error" } as any,
  });
  await worker.ready;
  const url = (await worker.url).origin;
  const call = (path: string, init: RequestInit = {}, token?: string) =>
    fetch(new URL(path, url), {
      ...init,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.body ? { "Content-Type": "application/json" } : {}) },
    });
  return {
    url,
    admin: (path) => call(path, {}, ADMIN_TOKEN),
    async register() {
      const response = await call("/v1/nodes", { method: "POST" });
      if (response.status !== 201) throw new Error(`register: ${response.status}`);
      return (await response.json()) as { nodeId: string; credential: string };
    },
    async mintDevice(nodeCredential, name, role = "owner", expiresInSec) {
      const response = await call("/v1/node/devices", { method: "POST", body: JSON.stringify({ name, role, expiresInSec }) }, nodeCredential);
      if (response.status !== 201) throw new Error(`mint: ${response.status}`);
      return (await response.json()) as { id: string; credential: string };
    },
    revokeDevice: (nodeCredential, id) => call(`/v1/node/devices/${id}`, { method: "DELETE" }, nodeCredential),
    async metrics(nodeId) {
      const response = await call(`/v1/admin/nodes/${nodeId}/metrics`, {}, ADMIN_TOKEN);
      if (response.status !== 200) throw new Error(`metrics: ${response.status}`);
      return (await response.json()) as Record<string, any>;
    },
    async audit(nodeId, query = "") {
      const response = await call(`/v1/admin/nodes/${nodeId}/audit${query}`, {}, ADMIN_TOKEN);
      if (response.status !== 200) throw new Error(`audit: ${response.status}`);
      const text = await response.text();
      return { text, entries: (JSON.parse(text) as { entries: AuditEntry[] }).entries };
    },
    nodeAudit: (nodeCredential, query = "") => call(`/v1/node/audit${query}`, {}, nodeCredential),
    renameDevice: (nodeCredential, id, name) => call(`/v1/node/devices/${id}`, { method: "PATCH", body: JSON.stringify({ name }) }, nodeCredential),
    requestRotation: (nodeCredential, id) => call(`/v1/node/devices/${id}/rotate`, { method: "POST" }, nodeCredential),
    dispose: () => worker.dispose(),
  };
}
