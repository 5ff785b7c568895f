/**
 * Versioned schema migrations for a Durable Object's SQLite storage. Each entry runs once, in order,
 * inside the object's constructor (under blockConcurrencyWhile), and the version is recorded so a
 * wake-up after eviction finds the schema already in place.
 */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const row = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM _migrations").one();
  for (let version = (row.v ?? 0) + 1; version <= migrations.length; version++) {
    sql.exec(migrations[version - 1]!);
    sql.exec("INSERT INTO _migrations (version, applied_at) VALUES (?, ?)", version, Date.now());
  }
}
