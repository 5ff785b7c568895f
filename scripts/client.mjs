#!/usr/bin/env node
/**
 * `npm run client -- <method> [params-json]`: a request to the local agent through the local relay,
 * as the test device `npm start` minted (.ora/dev/client.json). Uses the shared client library.
 */
import { OraClient, OraError } from "@ora/protocol";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const [method = "ping", paramsText] = process.argv.slice(2);
let device;
try {
  device = JSON.parse(readFileSync(join(root, ".ora", "dev", "client.json"), "utf8"));
} catch {
  process.stderr.write("no local test device yet: run `npm start` first (in another terminal)\n");
  process.exit(2);
}
let params;
try {
  params = paramsText === undefined ? undefined : JSON.parse(paramsText);
} catch {
  process.stderr.write(`params must be JSON, e.g. '{"text":"hi"}'\n`);
  process.exit(2);
}
try {
  const client = await OraClient.connect({ relay: device.relay, credential: device.credential });
  const started = performance.now();
  const result = await client.request(method, params, { onChunk: (chunk) => process.stdout.write(`chunk ${JSON.stringify(chunk)}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n(${(performance.now() - started).toFixed(1)} ms, session ${client.welcome.session}, role ${client.welcome.role})\n`);
  client.close();
} catch (error) {
  process.stderr.write(error instanceof OraError ? `refused: ${error.code}: ${error.message}\n` : `failed: ${error.message}\n`);
  process.exit(1);
}
