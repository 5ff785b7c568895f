/**
 * What the Discord channel keeps in the profile's database: which conversation each (user, channel)
 * is in, so that a chat goes on where it was and an answer that comes later (a task ended) reaches the
 * channel it belongs to; and which DM shows each approval, so the DM can say how it was decided.
 */
import type Database from "better-sqlite3";
import type { ModuleMigrations } from "../../safety/index.js";

export const DISCORD_MIGRATIONS: ModuleMigrations = {
  module: "discord",
  steps: [
    {
      version: 1,
      name: "conversations per user and channel; approval DMs",
      up: `
        CREATE TABLE discord_conversations (
          user TEXT NOT NULL,
          channel TEXT NOT NULL,
          conversation TEXT NOT NULL,
          PRIMARY KEY (user, channel)
        ) STRICT;
        CREATE INDEX discord_conversations_by_conversation ON discord_conversations (conversation);
        CREATE TABLE discord_approval_messages (
          approval TEXT PRIMARY KEY,
          channel TEXT NOT NULL,
          message TEXT NOT NULL
        ) STRICT;
      `,
    },
  ],
};

export class DiscordStore {
  constructor(private readonly db: Database.Database) {}

  conversation(user: string, channel: string): string | undefined {
    return this.db
      .prepare<[string, string], { conversation: string }>("SELECT conversation FROM discord_conversations WHERE user = ? AND channel = ?")
      .get(user, channel)?.conversation;
  }

  setConversation(user: string, channel: string, conversation: string): void {
    this.db
      .prepare(
        "INSERT INTO discord_conversations (user, channel, conversation) VALUES (?, ?, ?) ON CONFLICT (user, channel) DO UPDATE SET conversation = excluded.conversation",
      )
      .run(user, channel, conversation);
  }

  /** The next message in that channel starts a new conversation (`/new`, or the old one is gone). */
  forgetConversation(user: string, channel: string): void {
    this.db.prepare("DELETE FROM discord_conversations WHERE user = ? AND channel = ?").run(user, channel);
  }

  /** The channel a conversation is held in, when it is a Discord one. */
  channelOf(conversation: string): string | undefined {
    return this.db.prepare<[string], { channel: string }>("SELECT channel FROM discord_conversations WHERE conversation = ?").get(conversation)?.channel;
  }

  approvalMessage(approval: string): { channel: string; message: string } | undefined {
    return this.db
      .prepare<[string], { channel: string; message: string }>("SELECT channel, message FROM discord_approval_messages WHERE approval = ?")
      .get(approval);
  }

  setApprovalMessage(approval: string, channel: string, message: string): void {
    this.db.prepare("INSERT OR REPLACE INTO discord_approval_messages (approval, channel, message) VALUES (?, ?, ?)").run(approval, channel, message);
  }
}
