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
] as const;
