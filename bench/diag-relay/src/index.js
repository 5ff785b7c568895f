/**
 * Diagnostic build of the relay (see ../wrangler.toml): the real Worker and Durable Objects from
 * worker/src, with one change: NodeObject's pending table skips its SQLite mirror of each request (the
 * in-memory maps, the persisted relay-id blocks and every other rule stay as they are).
 */
import app, { NodeObject as RelayNodeObject, Registry } from "../../../worker/src/index.ts";
import { PendingTable } from "../../../worker/src/node/pending.ts";

class MemoryPendingTable extends PendingTable {
  add(sid, id, now, deadline) {
    // Relay ids still come in persisted blocks (one write per 1024 requests, as in the relay): the agent
    // runs a relay id at most once, so ids must not restart at 1 after the object hibernates.
    if (this.nextRid > this.ridBlockEnd) {
      this.ridBlockEnd = this.nextRid + 1023;
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('rid_block_end', ?)", String(this.ridBlockEnd));
    }
    const entry = { rid: this.nextRid++, sid, id, startedAt: now, deadline, streaming: false };
    this.index(entry);
    return entry;
  }

  touch(entry, deadline) {
    entry.deadline = deadline;
    entry.streaming = true;
  }

  remove(entry) {
    if (!this.byRid.delete(entry.rid)) return;
    const ids = this.bySession.get(entry.sid);
    ids?.delete(entry.id);
    if (ids?.size === 0) this.bySession.delete(entry.sid);
  }
}

export class NodeObject extends RelayNodeObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.pending = new MemoryPendingTable(ctx.storage.sql);
  }
}

export { Registry };
export default app;
