/**
 * A device's conversations with the secretary, as the PC keeps them: only the requester's own (a
 * guest never sees the owner's; owners share theirs across their devices).
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { MemoryError, type Memory } from "../memory/index.js";
import { NOTICE } from "../secretary/prompt.js";

export function registerConversationMethods(registry: HandlerRegistry, memory: Memory): void {
  registry
    .register("conversations.list", ({ limit }, { requester }) => ({
      conversations: memory.conversations(requester.user, limit).map(({ id, title, updatedAt, messages }) => ({ id, title, updatedAt, messages })),
    }))
    .register("conversations.history", ({ conversation, limit }, { requester }) => {
      try {
        const messages = memory.history(requester.user, conversation, limit);
        return {
          conversation,
          messages: messages.flatMap((m) =>
            (m.role === "user" || m.role === "assistant") && m.content !== "" && m.name !== NOTICE
              ? [{ role: m.role, content: m.content, at: m.createdAt }]
              : [],
          ),
        };
      } catch (error) {
        if (error instanceof MemoryError) throw new HandlerError("not_found", "no such conversation");
        throw error;
      }
    });
}
