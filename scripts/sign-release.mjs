#!/usr/bin/env node
/**
 * The release key's tools (docs/RELEASING.md). Run on the machine that holds the key, which is not a
 * build or CI machine, after `npm install && npm run build` (the manifest format comes from the built
 * agent, so that the signer and the verifier cannot disagree about it).
 *
 *   node scripts/sign-release.mjs keygen <key-file>
 *       a new release key pair: the key file (0600, never committed) and the public key to pin in
 *       node-agent/src/update/release-key.ts
 *   node scripts/sign-release.mjs integrity <tarball.tgz>
 *       the tarball's npm integrity string (sha512), to check against `npm view … dist.integrity`
 *   node scripts/sign-release.mjs sign <key-file> <releases.json> <manifest.json>
 *       signs the release list and writes the manifest
 *   node scripts/sign-release.mjs verify <manifest.json>
 *       checks a manifest with the key pinned in the agent, as `ora-agent update` will
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { integrityOf, publicKeyFrom, RELEASE_PUBLIC_KEY, signManifest, verifyManifest } from "ora-agent";

const KEY_FORMAT = "ora-release-key/1";
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

function fail(message) {
  process.stderr.write(`sign-release: ${message}\n`);
  process.exit(1);
}

function readKey(path) {
  let key;
  try {
    key = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    fail(`cannot read the key file ${path}: ${error.message}`);
  }
  if (key?.format !== KEY_FORMAT) fail(`${path} is not an ${KEY_FORMAT} file`);
  const secretKey = Buffer.from(key.secretKey, "base64url");
  if (secretKey.length !== 32) fail(`${path} does not hold a 32-byte secret key`);
  const publicKey = b64url(ed25519.getPublicKey(secretKey));
  if (publicKey !== key.publicKey) fail(`${path}: its public key does not belong to its secret key`);
  return { secretKey, publicKey };
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case "keygen": {
    const [path] = args;
    if (!path) fail("usage: keygen <key-file>");
    if (existsSync(path)) fail(`${path} exists; refusing to overwrite a key`);
    const secretKey = ed25519.utils.randomSecretKey();
    const publicKey = b64url(ed25519.getPublicKey(secretKey));
    writeFileSync(path, `${JSON.stringify({ format: KEY_FORMAT, secretKey: b64url(secretKey), publicKey }, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    process.stdout.write(`wrote ${path}\npublic key (RELEASE_PUBLIC_KEY): ${publicKey}\n`);
    break;
  }
  case "integrity": {
    const [path] = args;
    if (!path) fail("usage: integrity <tarball.tgz>");
    process.stdout.write(`${integrityOf(readFileSync(path))}\n`);
    break;
  }
  case "sign": {
    const [keyPath, listPath, outPath] = args;
    if (!keyPath || !listPath || !outPath) fail("usage: sign <key-file> <releases.json> <manifest.json>");
    const { secretKey, publicKey } = readKey(keyPath);
    let manifest;
    try {
      manifest = signManifest(JSON.parse(readFileSync(listPath, "utf8")), secretKey);
    } catch (error) {
      fail(`${listPath} is not a release list: ${error.message}`);
    }
    writeFileSync(outPath, manifest);
    process.stdout.write(`wrote ${outPath}\n`);
    // Not an error (tests and staging sites sign with keys of their own), but never what a release wants.
    if (publicKey !== RELEASE_PUBLIC_KEY)
      process.stderr.write("sign-release: warning: this key is not the one pinned in the agent; agents will refuse this manifest\n");
    break;
  }
  case "verify": {
    const [path] = args;
    if (!path) fail("usage: verify <manifest.json>");
    let list;
    try {
      list = verifyManifest(readFileSync(path, "utf8"), publicKeyFrom(RELEASE_PUBLIC_KEY));
    } catch (error) {
      fail(error.message);
    }
    process.stdout.write(`signature ok (published ${list.published})\n`);
    for (const release of list.versions) process.stdout.write(`  ${release.version}  ${release.tarball}  ${release.integrity}\n`);
    break;
  }
  default:
    fail("usage: sign-release.mjs keygen | integrity | sign | verify (see the comment at the top of this file)");
}
