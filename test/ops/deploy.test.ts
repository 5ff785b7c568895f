/**
 * `npm run deploy` (scripts/deploy.mjs): the real script against a stand-in for wrangler that records
 * its calls (a Cloudflare account is out of reach here), and the real `wrangler deploy --dry-run`,
 * which bundles the relay and the web client the way a deployment does.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { wranglerEnv } from "../../scripts/wrangler-env.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = join(root, "scripts", "deploy.mjs");
/** Not the repository's .ora/deploy: a developer's real token may be there. */
const KEEP = mkdtempSync(join(tmpdir(), "ora-deploy-kept-"));
const ADMIN_FILE = join(KEEP, "admin-token");

/** A wrangler stand-in: answers whoami and secret list as told, records every call and the secrets file it is given. */
function fakeWrangler(options: { loggedIn: boolean; secrets: string[] | "no worker" }) {
  const dir = mkdtempSync(join(tmpdir(), "ora-fake-wrangler-"));
  const log = join(dir, "calls.jsonl");
  const bin = join(dir, "wrangler");
  writeFileSync(
    bin,
    `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
const at = args.indexOf("--secrets-file");
const secrets = at === -1 ? null : JSON.parse(fs.readFileSync(args[at + 1], "utf8"));
const mode = at === -1 ? null : (fs.statSync(args[at + 1]).mode & 0o777);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, secrets, mode }) + "\\n");
if (args[0] === "whoami") {
  if (${options.loggedIn}) console.log("You are logged in with an OAuth Token, associated with the email someone@example.test.");
  else { console.log("You are not authenticated. Please run \`wrangler login\`."); process.exit(1); }
} else if (args[0] === "secret") {
  const secrets = ${JSON.stringify(options.secrets)};
  if (secrets === "no worker") { console.error("✘ [ERROR] This Worker does not exist on your account. [code: 10007]"); process.exit(1); }
  console.log(JSON.stringify(secrets.map((name) => ({ name, type: "secret_text" }))));
} else if (args[0] === "deploy") {
  console.log("Deployed ora-relay triggers\\n  https://ora-relay.someone.workers.dev");
}
`,
  );
  chmodSync(bin, 0o755);
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as { args: string[]; secrets: Record<string, string> | null; mode: number | null })
      : [];
  return { bin, calls, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function deploy(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      cwd: root,
      env: { ...process.env, ORA_DEPLOY_DIR: KEEP, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("npm run deploy", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    rmSync(ADMIN_FILE, { force: true });
  });

  it("says how to log in when wrangler is not, and deploys nothing", async () => {
    const fake = fakeWrangler({ loggedIn: false, secrets: [] });
    cleanups.push(fake.cleanup);
    const { code, out } = await deploy([], { ORA_WRANGLER: fake.bin });
    expect(code).toBe(1);
    expect(out).toContain('not logged in to Cloudflare: run "npx wrangler login"');
    expect(fake.calls().map((c) => c.args[0])).toEqual(["whoami"]);
  });

  it("makes every secret on the first deployment, uploads them from a private file, and prints none", async () => {
    const fake = fakeWrangler({ loggedIn: true, secrets: "no worker" });
    cleanups.push(fake.cleanup);
    const { code, out } = await deploy([], { ORA_WRANGLER: fake.bin });
    expect(code, out).toBe(0);
    const deployed = fake.calls().find((c) => c.args[0] === "deploy")!;
    expect(Object.keys(deployed.secrets!).sort()).toEqual(["ORA_ADMIN_TOKEN", "ORA_TOKEN_PEPPER", "ORA_VAPID_PRIVATE_KEY", "ORA_VAPID_PUBLIC_KEY"]);
    expect(deployed.mode).toBe(0o600);
    expect(deployed.secrets!.ORA_TOKEN_PEPPER).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(deployed.secrets!.ORA_VAPID_PUBLIC_KEY).toMatch(/^[A-Za-z0-9_-]{87}$/);
    for (const value of Object.values(deployed.secrets!)) expect(out).not.toContain(value);
    // The file is gone once wrangler is done with it.
    expect(existsSync(deployed.args[deployed.args.indexOf("--secrets-file") + 1]!)).toBe(false);
    expect(readFileSync(ADMIN_FILE, "utf8").trim()).toBe(deployed.secrets!.ORA_ADMIN_TOKEN);
    expect(statSync(ADMIN_FILE).mode & 0o777).toBe(0o600);
  });

  it("never replaces a secret the relay has: a new pepper would end every credential", async () => {
    const fake = fakeWrangler({ loggedIn: true, secrets: ["ORA_TOKEN_PEPPER", "ORA_ADMIN_TOKEN", "ORA_VAPID_PUBLIC_KEY", "ORA_VAPID_PRIVATE_KEY"] });
    cleanups.push(fake.cleanup);
    const { code, out } = await deploy(["--env", "production"], { ORA_WRANGLER: fake.bin });
    expect(code, out).toBe(0);
    expect(out).toContain("the relay has every secret it needs");
    const deployed = fake.calls().find((c) => c.args[0] === "deploy")!;
    expect(deployed.args).toEqual(["deploy", "--env", "production"]);
    expect(existsSync(ADMIN_FILE)).toBe(false);
  });

  it("makes only what is missing", async () => {
    const fake = fakeWrangler({ loggedIn: true, secrets: ["ORA_TOKEN_PEPPER"] });
    cleanups.push(fake.cleanup);
    expect((await deploy([], { ORA_WRANGLER: fake.bin })).code).toBe(0);
    const deployed = fake.calls().find((c) => c.args[0] === "deploy")!;
    expect(Object.keys(deployed.secrets!).sort()).toEqual(["ORA_ADMIN_TOKEN", "ORA_VAPID_PRIVATE_KEY", "ORA_VAPID_PUBLIC_KEY"]);
  });

  it("bundles the relay and the web client with the real wrangler in a dry run", async () => {
    const { code, out } = await deploy(["--dry-run"], wranglerEnv());
    expect(code, out).toBe(0);
    expect(out).toContain("--dry-run: exiting now.");
    expect(out).toMatch(/env\.NODE \(NodeObject\)\s+Durable Object/);
    expect(existsSync(join(root, ".wrangler", "deploy-dry-run", "index.js"))).toBe(true);
  }, 60_000);
});
