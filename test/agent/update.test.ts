/**
 * `ora-agent update` and `--rollback` as functions, against a release site on loopback that serves a
 * manifest signed with a test key (the pinned release key's private half is not here, by design), and
 * with an installer that only records what it was asked to install.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import Database from "better-sqlite3";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { integrityOf, rollback, signManifest, update, type Installer, type ReleaseList } from "ora-agent";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newStateDir } from "../helpers/agent.js";

const secretKey = ed25519.utils.randomSecretKey();
const publicKey = ed25519.getPublicKey(secretKey);
const tarballOf = (version: string) => Buffer.from(`pretend npm tarball of ora-agent ${version}`);

interface Site {
  url: string;
  /** Path → body; a missing path is a 404. */
  files: Map<string, Buffer | string>;
  close(): Promise<void>;
}

async function releaseSite(): Promise<Site> {
  const files = new Map<string, Buffer | string>();
  const server: Server = createServer((req, res) => {
    const body = files.get(req.url ?? "");
    res.writeHead(body === undefined ? 404 : 200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    files,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Publishes tarballs for `versions` and a manifest listing them, signed with `key`. */
function publish(site: Site, versions: string[], key = secretKey): ReleaseList {
  const list: ReleaseList = {
    product: "ora-agent",
    published: "2026-11-29T12:00:00Z",
    versions: versions.map((version) => ({ version, tarball: `ora-agent-${version}.tgz`, integrity: integrityOf(tarballOf(version)) })),
  };
  for (const version of versions) site.files.set(`/ora-agent-${version}.tgz`, tarballOf(version));
  site.files.set("/manifest.json", signManifest(list, key));
  return list;
}

/** A profile database with one row, as an agent of the current version left it. */
function seedDatabase(stateDir: string): void {
  const db = new Database(join(stateDir, "ora.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('before the update')");
  db.close();
}

const rows = (path: string, table = "notes") => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM ${table}`).all();
  } finally {
    db.close();
  }
};

/** Records each install; `during` runs at the moment of the install (to look at what exists then). */
function fakeInstaller(during: (tarball: string) => void = () => undefined): Installer & { calls: { tarball: string; bytes: string }[] } {
  const calls: { tarball: string; bytes: string }[] = [];
  const install = async (tarball: string) => {
    calls.push({ tarball, bytes: readFileSync(tarball, "utf8") });
    during(tarball);
  };
  return Object.assign(install, { calls });
}

let site: Site;
let stateDir: string;
let lines: string[];
beforeEach(async () => {
  site = await releaseSite();
  stateDir = newStateDir();
  lines = [];
});
afterEach(() => site.close());

const options = (install: Installer, extra: { to?: string; check?: boolean; current?: string; key?: Uint8Array } = {}) => ({
  stateDir,
  current: extra.current ?? "0.1.0",
  manifestUrl: `${site.url}/manifest.json`,
  publicKey: extra.key ?? publicKey,
  install,
  ...(extra.to ? { to: extra.to } : {}),
  check: extra.check ?? false,
  say: (line: string) => lines.push(line),
});

describe("ora-agent update", () => {
  it("installs the newest release once its manifest and tarball verify, backing up the database before the install", async () => {
    publish(site, ["0.1.0", "0.3.0", "0.2.0"]);
    seedDatabase(stateDir);
    let backupAtInstall: unknown[] = [];
    const install = fakeInstaller(() => {
      backupAtInstall = rows(join(stateDir, "updates", "ora-0.1.0.db"));
    });
    const outcome = await update(options(install));
    expect(outcome).toMatchObject({ kind: "installed", version: "0.3.0", backup: join(stateDir, "updates", "ora-0.1.0.db") });
    expect(install.calls).toEqual([{ tarball: join(stateDir, "updates", "ora-agent-0.3.0.tgz"), bytes: tarballOf("0.3.0").toString() }]);
    expect(backupAtInstall).toEqual([{ text: "before the update" }]);
    // The version it replaces is kept, verified, for a rollback.
    expect(readFileSync(join(stateDir, "updates", "ora-agent-0.1.0.tgz"))).toEqual(tarballOf("0.1.0"));
  });

  it("refuses a manifest signed with another key, and downloads, backs up and installs nothing", async () => {
    publish(site, ["0.1.0", "0.2.0"], ed25519.utils.randomSecretKey());
    seedDatabase(stateDir);
    const install = fakeInstaller();
    await expect(update(options(install))).rejects.toThrow(/signature does not verify/);
    expect(install.calls).toEqual([]);
    expect(existsSync(join(stateDir, "updates"))).toBe(false);
  });

  it("refuses a manifest whose signed release list was altered after signing", async () => {
    publish(site, ["0.1.0", "0.2.0"]);
    const manifest = JSON.parse(site.files.get("/manifest.json") as string);
    // Point 0.2.0 at a tarball of the attacker's choosing, keeping the old signature.
    manifest.signed = manifest.signed.replace(integrityOf(tarballOf("0.2.0")), integrityOf(Buffer.from("evil")));
    site.files.set("/manifest.json", JSON.stringify(manifest));
    site.files.set("/ora-agent-0.2.0.tgz", Buffer.from("evil"));
    const install = fakeInstaller();
    await expect(update(options(install))).rejects.toThrow(/signature does not verify/);
    expect(install.calls).toEqual([]);
  });

  it("refuses a tarball that does not match the manifest's integrity hash, before any backup or install", async () => {
    publish(site, ["0.1.0", "0.2.0"]);
    site.files.set("/ora-agent-0.2.0.tgz", Buffer.from("a different tarball"));
    seedDatabase(stateDir);
    const install = fakeInstaller();
    await expect(update(options(install))).rejects.toThrow(/does not match the integrity hash/);
    expect(install.calls).toEqual([]);
    expect(readdirSync(join(stateDir, "updates"))).toEqual([]);
  });

  it("never downgrades: an older --to is refused, and with nothing newer it only says it is up to date", async () => {
    publish(site, ["0.1.0", "0.2.0"]);
    const install = fakeInstaller();
    await expect(update(options(install, { current: "0.2.0", to: "0.1.0" }))).rejects.toThrow(/never downgrades/);
    expect(await update(options(install, { current: "0.2.0" }))).toEqual({ kind: "up-to-date", newest: "0.2.0" });
    expect(await update(options(install, { current: "0.3.0-rc.1" }))).toEqual({ kind: "up-to-date", newest: "0.2.0" });
    expect(install.calls).toEqual([]);
  });

  it("installs the version asked for with --to, and only says what exists with --check", async () => {
    publish(site, ["0.1.0", "0.2.0", "0.3.0"]);
    const install = fakeInstaller();
    expect(await update(options(install, { check: true }))).toEqual({ kind: "available", version: "0.3.0" });
    expect(install.calls).toEqual([]);
    expect(await update(options(install, { to: "0.2.0" }))).toMatchObject({ kind: "installed", version: "0.2.0", backup: null });
    expect(install.calls.map((c) => c.bytes)).toEqual([tarballOf("0.2.0").toString()]);
  });
});

describe("ora-agent update --rollback", () => {
  /** An update from 0.1.0 to 0.2.0, after which 0.2.0 "migrated" the database. */
  async function updatedAndMigrated(versions = ["0.1.0", "0.2.0"]): Promise<void> {
    publish(site, versions);
    seedDatabase(stateDir);
    await update(options(fakeInstaller()));
    const db = new Database(join(stateDir, "ora.db"));
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE added_by_020 (x); INSERT INTO notes VALUES ('written by 0.2.0')");
    db.close();
  }

  it("reinstalls the kept previous version and puts the database backup back, with the release site gone", async () => {
    await updatedAndMigrated();
    await site.close();
    site = await releaseSite(); // an empty one, so that afterEach has something to close
    const install = fakeInstaller();
    expect(await rollback({ stateDir, current: "0.2.0", install, say: (l) => lines.push(l) })).toEqual({ version: "0.1.0" });
    expect(install.calls).toEqual([{ tarball: join(stateDir, "updates", "ora-agent-0.1.0.tgz"), bytes: tarballOf("0.1.0").toString() }]);
    expect(rows(join(stateDir, "ora.db"))).toEqual([{ text: "before the update" }]);
    expect(() => rows(join(stateDir, "ora.db"), "added_by_020")).toThrow(/no such table/);
    // Nothing is lost for good: the database 0.2.0 used is kept aside.
    expect(rows(join(stateDir, "updates", "ora-0.2.0-rolled-back.db"))).toEqual([{ text: "before the update" }, { text: "written by 0.2.0" }]);
    await expect(rollback({ stateDir, current: "0.1.0", install, say: () => undefined })).rejects.toThrow(/no update to roll back/);
  });

  it("refuses while the agent is running, and changes nothing", async () => {
    await updatedAndMigrated();
    writeFileSync(
      join(stateDir, "status.json"),
      JSON.stringify({ pid: process.pid, relay: "http://127.0.0.1:1", nodeId: "n", status: "connected", since: new Date().toISOString() }),
    );
    const install = fakeInstaller();
    await expect(rollback({ stateDir, current: "0.2.0", install, say: () => undefined })).rejects.toThrow(/agent is running/);
    expect(install.calls).toEqual([]);
    expect(rows(join(stateDir, "ora.db"))).toHaveLength(2);
  });

  it("refuses a kept tarball that no longer matches its integrity hash", async () => {
    await updatedAndMigrated();
    writeFileSync(join(stateDir, "updates", "ora-agent-0.1.0.tgz"), "swapped while nobody looked");
    const install = fakeInstaller();
    await expect(rollback({ stateDir, current: "0.2.0", install, say: () => undefined })).rejects.toThrow(/no longer matches its integrity hash/);
    expect(install.calls).toEqual([]);
    expect(rows(join(stateDir, "ora.db"))).toHaveLength(2);
  });

  it("says so at update time when the current version is not in the manifest, and then refuses to roll back, naming the backup", async () => {
    await updatedAndMigrated(["0.2.0"]);
    expect(lines.some((l) => l.includes("--rollback will not be able to reinstall"))).toBe(true);
    await expect(rollback({ stateDir, current: "0.2.0", install: fakeInstaller(), say: () => undefined })).rejects.toThrow(
      /cannot be reinstalled.*ora-0\.1\.0\.db/,
    );
  });
});
