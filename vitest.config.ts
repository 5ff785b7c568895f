import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { generateVapidKeys } from "./scripts/vapid-keys.mjs";
import { wranglerEnv } from "./scripts/wrangler-env.mjs";

// Tests that start wrangler/workerd from Node read these (offline, no telemetry, no slow tracing).
Object.assign(process.env, wranglerEnv());

const workerBindings = {
  ORA_TOKEN_PEPPER: "workerd-test-pepper-0123456789",
  ORA_ADMIN_TOKEN: "workerd-test-admin-token",
  ORA_RELAY_CLIENT_TIMEOUT_SEC: "5",
  ORA_RELAY_HELLO_TIMEOUT_SEC: "5",
  ORA_RELAY_MAX_PENDING: "8",
};
/** Tests of the relay with Web Push on: a fresh key pair per run, as an operator makes one. */
const vapid = await generateVapidKeys();
const withPush = ["test/worker/deposits.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...workerBindings,
                // No Web Push here, whatever a local .dev.vars says (npm start writes keys into it):
                // test/worker/push.test.ts checks the relay without a VAPID key.
                ORA_VAPID_PUBLIC_KEY: "",
                ORA_VAPID_PRIVATE_KEY: "",
              },
            },
          }),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], exclude: withPush },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...workerBindings,
                ORA_VAPID_PUBLIC_KEY: vapid.publicKey,
                ORA_VAPID_PRIVATE_KEY: vapid.privateKey,
                ORA_VAPID_SUBJECT: "mailto:operator@example.test",
                // Small, so that the cap is reached in a test.
                ORA_DEPOSITS_PER_NODE: "3",
              },
            },
          }),
        ],
        test: { name: "worker-push", include: withPush },
      },
      {
        test: {
          name: "node",
          include: ["test/{e2e,agent,protocol,relay,safety,tools,llm,memory,mcp,schedule,ops,packages,web,discord}/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // A condition polled for (a view updating, a process answering) may take seconds on a
          // loaded 2-core machine; 1 s, vitest's default, made such waits fail there.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
