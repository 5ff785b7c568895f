// The cost of one audit write (one hash-chained row, its own transaction), on a real file in WAL mode.
// Run: npm run build && node bench/audit.mjs [rows]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Audit } from "../node-agent/dist/safety/audit.js";
import { openDatabase } from "../node-agent/dist/safety/db.js";

const rows = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), "ora-bench-audit-"));
const db = openDatabase(dir);
const audit = new Audit(db);
const who = { device: "dev-bench", role: "owner", user: "bench", via: "relay", session: "s1" };
const entry = (i) => ({ event: "run", who, tool: "notes.add", argsHash: "ab".repeat(32), status: "ok", durationMs: i % 7 });

for (let i = 0; i < 1000; i++) audit.record(entry(i)); // warm up
const started = process.hrtime.bigint();
for (let i = 0; i < rows; i++) audit.record(entry(i));
const ns = Number(process.hrtime.bigint() - started);
const verifyStart = process.hrtime.bigint();
const verified = audit.verify();
const verifyNs = Number(process.hrtime.bigint() - verifyStart);
console.log(`audit write: ${(ns / rows / 1000).toFixed(1)} µs per row (${rows} rows, ${Math.round((rows * 1e9) / ns)} rows/s)`);
console.log(`audit verify: ${(verifyNs / 1e6).toFixed(0)} ms for ${verified.rows} rows (${verified.ok ? "intact" : "BROKEN"})`);
db.close();
rmSync(dir, { recursive: true, force: true });
