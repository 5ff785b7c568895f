/**
 * A device's conversations with the secretary, as the PC keeps them: only the requester's own (a
 * guest never sees the owner's; owners share theirs across their devices). Someone else's
 * conversation answers exactly like one that does not exist, so its id cannot be probed.
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { MemoryError, type Memory } from "../memory/index.js";
import { NOTICE } from "../secretary/prompt.js";

export function registerConversationMethods(registry: HandlerRegistry, memory: Memory): void {
  registry
    .register("conversations.list", ({ limit }, { requester }) => ({
      conversations: memory.conversations(requester.user, limit).map(summary),
    }))
    .register("conversations.history", ({ conversation, limit }, { requester }) =>
      typed(() => {
        const messages = memory.history(requester.user, conversation, limit);
        return {
          conversation,
          messages: messages.flatMap((m) =>
            (m.role === "user" || m.role === "assistant") && m.content !== "" && m.name !== NOTICE
              ? [{ role: m.role, content: m.content, at: m.createdAt }]
              : [],
          ),
        };
      }),
    )
    .register("conversations.rename", ({ conversation, title }, { requester }) => typed(() => summary(memory.rename(requester.user, conversation, title))))
    .register("conversations.delete", ({ conversation }, { requester }) => typed(() => ({ deleted: memory.forget(requester.user, { conversation }) > 0 })))
    .register("conversations.search", ({ query, limit }, { requester }) =>
      typed(() => ({
        hits: memory
          .search(requester.user, query, limit)
          // Tool results are kept for the model, not shown in the chat: a hit there could not be opened.
          .flatMap((hit) =>
            hit.role === "tool" ? [] : [{ conversation: hit.conversation, title: hit.title, role: hit.role, snippet: hit.snippet, at: hit.createdAt }],
          ),
      })),
    );
}

const summary = ({ id, title, updatedAt, messages }: { id: string; title: string | null; updatedAt: number; messages: number }) => ({
  id,
  title,
  updatedAt,
  messages,
});

/** Memory's refusals as the wire's error codes. */
function typed<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof MemoryError)
      throw new HandlerError(error.code === "bad_input" ? "bad_params" : error.code, error.code === "not_found" ? "no such conversation" : error.message);
    throw error;
  }
}
