/** Small facts about the Node (its id, credential hash, current agent connection, saved counters). */
export class MetaStore {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  set(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  delete(key: string): void {
    this.sql.exec("DELETE FROM meta WHERE key = ?", key);
  }
}
