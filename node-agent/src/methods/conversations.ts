/**
 * A device's conversations with the secretary, as the PC keeps them: only the requester's own (a
 * guest never sees the owner's; owners share theirs across their devices).
 */
import { z } from "zod";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { MemoryError, type Memory } from "../memory/index.js";
import { requesterOf } from "./requester.js";

export function registerConversationMethods(registry: HandlerRegistry, memory: Memory): void {
  registry
    .register("conversations.list", {
      description: "Your conversations, most recent first.",
      params: z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }),
      run: ({ limit }, context) => ({
        conversations: memory.conversations(requesterOf(context).user, limit).map(({ id, title, updatedAt, messages }) => ({ id, title, updatedAt, messages })),
      }),
    })
    .register("conversations.history", {
      description: "The messages of one of your conversations (what was said; tool steps left out), oldest first.",
      params: z.object({ conversation: z.string().max(64), limit: z.number().int().min(1).max(500).default(200) }),
      run: ({ conversation, limit }, context) => {
        try {
          const messages = memory.history(requesterOf(context).user, conversation, limit);
          return {
            conversation,
            messages: messages
              .filter((m) => (m.role === "user" || m.role === "assistant") && m.content !== "")
              .map((m) => ({ role: m.role, content: m.content, at: m.createdAt })),
          };
        } catch (error) {
          if (error instanceof MemoryError) throw new HandlerError("not_found", "no such conversation");
          throw error;
        }
      },
    });
}
