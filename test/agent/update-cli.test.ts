/**
 * `ora-agent update` as a user runs it, with the release key pinned in the package. Without that
 * key's private half, only refusals can be driven from here (test/agent/update.test.ts drives the
 * rest with a key of its own). npm on the PATH is a fake that writes down any call, so that nothing
 * is ever installed on this machine, whatever happens.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrityOf, signManifest } from "ora-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand } from "../helpers/agent.js";

describe("ora-agent update (command line)", () => {
  let server: Server;
  let url: string;
  const bin = mkdtempSync(join(tmpdir(), "ora-fake-npm-"));
  const npmCalls = join(bin, "calls");

  beforeAll(async () => {
    writeFileSync(join(bin, "npm"), `#!/bin/sh\necho "$@" >> "${npmCalls}"\n`);
    chmodSync(join(bin, "npm"), 0o755);
    const tarball = Buffer.from("pretend tarball");
    const manifest = signManifest(
      { product: "ora-agent", published: "2026-11-29T12:00:00Z", versions: [{ version: "99.0.0", tarball: "t.tgz", integrity: integrityOf(tarball) }] },
      ed25519.utils.randomSecretKey(),
    );
    server = createServer((req, res) => {
      if (req.url === "/manifest.json") res.writeHead(200).end(manifest);
      else if (req.url === "/t.tgz") res.writeHead(200).end(tarball);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (args: string[], manifest = `${url}/manifest.json`) =>
    runAgentCommand(["update", "--state-dir", newStateDir(), ...args], { ORA_RELEASE_MANIFEST_URL: manifest, PATH: `${bin}:${process.env.PATH}` });

  it("refuses a manifest that is not signed with the pinned release key, and runs no npm", async () => {
    const result = await run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("signature does not verify with the ORA release key");
    expect(existsSync(npmCalls)).toBe(false);
  });

  it("refuses a manifest over plain http from another machine, and says where it could not fetch one", async () => {
    const remote = await run(["--check"], "http://192.0.2.1/manifest.json");
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain("releases are fetched over https");
    const missing = await run(["--check"], `${url}/nowhere.json`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("HTTP 404");
  });

  it("says there is nothing to roll back in a profile that was never updated", async () => {
    const result = await run(["--rollback"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no update to roll back");
  });

  it("refuses --to without a version", async () => {
    const result = await run(["--to", "latest"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--to takes a version");
  });
});
