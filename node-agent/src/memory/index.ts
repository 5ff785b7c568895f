/**
 * The secretary's memory: conversation history per profile and per user, searchable. start.ts passes
 * MEMORY_MIGRATIONS to createSafety and builds one Memory over `safety.db`:
 *
 *     const safety = createSafety({ …, migrations: [MEMORY_MIGRATIONS] });
 *     const memory = new Memory(safety.db);
 */
export { Memory } from "./memory.js";
export { MEMORY_MIGRATIONS } from "./schema.js";
export {
  MEMORY_ERROR_CODES,
  MEMORY_LIMITS,
  MemoryError,
  type ConversationSummary,
  type MessageInput,
  type MessageRole,
  type SearchHit,
  type StoredMessage,
} from "./types.js";
