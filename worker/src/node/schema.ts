/** The Node object's storage. Append new migrations; never edit a shipped one. */
export const NODE_MIGRATIONS = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     role TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     revoked_at INTEGER,
     last_seen INTEGER
   );
   CREATE TABLE pending (
     rid INTEGER PRIMARY KEY,
     sid TEXT NOT NULL,
     id TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     deadline INTEGER NOT NULL,
     streaming INTEGER NOT NULL DEFAULT 0
   );`,
  // Credential lifecycle: the previous hash stays valid through a rotation's grace period; issued_at
  // dates the current credential; rotate_due is the owner's request to rotate. Pairing offers (their
  // payloads are never stored), claim and rotation rate limits, and the relay's audit trail.
  `ALTER TABLE devices ADD COLUMN prev_hash TEXT;
   ALTER TABLE devices ADD COLUMN prev_until INTEGER;
   ALTER TABLE devices ADD COLUMN issued_at INTEGER;
   ALTER TABLE devices ADD COLUMN rotate_due INTEGER NOT NULL DEFAULT 0;
   UPDATE devices SET issued_at = created_at;
   CREATE UNIQUE INDEX devices_by_prev_hash ON devices (prev_hash);
   CREATE TABLE rotations (device TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE INDEX rotations_by_device ON rotations (device, at);
   CREATE TABLE offers (
     nameplate TEXT PRIMARY KEY,
     offer TEXT NOT NULL,
     host TEXT NOT NULL UNIQUE,
     claimant TEXT,
     claimant_src TEXT,
     expires_at INTEGER NOT NULL,
     host_msgs INTEGER NOT NULL DEFAULT 0,
     claimant_msgs INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE claims (at INTEGER NOT NULL);
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     kind TEXT NOT NULL,
     device TEXT,
     detail TEXT
   );`,
  // Web Push (push/store.ts): per device only its endpoint URL; send times for the per-Node limit;
  // counters by outcome.
  `CREATE TABLE push_endpoints (device TEXT PRIMARY KEY, endpoint TEXT NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE push_sends (at INTEGER NOT NULL);
   CREATE TABLE push_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);`,
  // Reminder deposits (deposits/store.ts): sealed notifications waiting for their due time, with the
  // VAPID subject chosen when they came and the attempts made; a week of tombstones of the ones the
  // relay sent (or failed to send), so a late withdrawal learns the outcome and no id is sent twice;
  // counters by outcome.
  `CREATE TABLE deposits (
     id TEXT PRIMARY KEY,
     due_at INTEGER NOT NULL,
     subject TEXT NOT NULL,
     messages TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     tries INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX deposits_by_due ON deposits (due_at);
   CREATE TABLE deposit_tombstones (id TEXT PRIMARY KEY, sent_at INTEGER NOT NULL, outcome TEXT NOT NULL);
   CREATE INDEX deposit_tombstones_by_time ON deposit_tombstones (sent_at);
   CREATE TABLE deposit_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);`,
  // Claims an offer received (pairing.ts): the per-nameplate limit counts claims, not connections, so
  // sockets that connect to a live nameplate and never claim cannot lock the real device out.
  `ALTER TABLE offers ADD COLUMN claim_attempts INTEGER NOT NULL DEFAULT 0;`,
] as const;
