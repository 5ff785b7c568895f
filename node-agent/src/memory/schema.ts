/**
 * The conversation history's tables in the profile database. Conversations belong to one `user`
 * (Requester.user: "owner" for every owner device, the device id for anyone else); messages carry the
 * same user again so that every read can filter on it without a join that a later query might forget.
 *
 * The FTS5 index stores no text of its own (content='memory_messages'); triggers keep it in step
 * (https://sqlite.org/fts5.html#external_content_tables). Messages are never edited, so there is no
 * update trigger.
 */
import type { ModuleMigrations } from "../safety/db.js";

export const MEMORY_MIGRATIONS: ModuleMigrations = {
  module: "memory",
  steps: [
    {
      version: 1,
      name: "conversations and messages with full-text search",
      up: `
        CREATE TABLE memory_conversations (
          id TEXT PRIMARY KEY,
          user TEXT NOT NULL,
          title TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX memory_conversations_by_user ON memory_conversations (user, updated_at);
        CREATE TABLE memory_messages (
          id INTEGER PRIMARY KEY,
          conversation TEXT NOT NULL REFERENCES memory_conversations (id),
          user TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
          content TEXT NOT NULL,
          name TEXT,
          tool_call_id TEXT,
          tool_calls TEXT,
          model TEXT,
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX memory_messages_by_conversation ON memory_messages (conversation, id);
        CREATE INDEX memory_messages_by_user ON memory_messages (user);
        CREATE VIRTUAL TABLE memory_messages_fts USING fts5 (
          content, content = 'memory_messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER memory_messages_fts_insert AFTER INSERT ON memory_messages BEGIN
          INSERT INTO memory_messages_fts (rowid, content) VALUES (new.id, new.content);
        END;
        CREATE TRIGGER memory_messages_fts_delete AFTER DELETE ON memory_messages BEGIN
          INSERT INTO memory_messages_fts (memory_messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        END;
      `,
    },
  ],
};
