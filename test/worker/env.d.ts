/**
 * Types `env` from "cloudflare:test" with the bindings these tests use (the pool fills them from
 * wrangler.toml and vitest.config.ts). Declared here rather than imported from worker/src: importing
 * the relay's sources would type-check them under test/tsconfig.json's DOM lib, where workerd-only
 * APIs such as crypto.subtle.timingSafeEqual do not exist.
 */
import type { DurableObject } from "cloudflare:workers";

/** The slice of NodeObject's RPC surface the tests call. */
export declare abstract class NodeObjectRpc extends DurableObject {
  metricsSnapshot(): Record<string, unknown>;
}

/** The slice of the Registry's RPC surface the tests call. */
export declare abstract class RegistryRpc extends DurableObject {
  allocateNameplate(nodeId: string, offer: string, expiresAt: number): string | null;
  releaseNameplate(nameplate: string, offer: string): void;
}

declare global {
  namespace Cloudflare {
    interface Env {
      NODE: DurableObjectNamespace<NodeObjectRpc>;
      REGISTRY: DurableObjectNamespace<RegistryRpc>;
      ORA_TOKEN_PEPPER: string;
      ORA_ADMIN_TOKEN: string;
    }
  }
}
