/**
 * A conversation goes on when a call it made ends later: a tool call that waited for the owner's
 * approval became a task (safety/tasks.ts), the turn that made it ended, and now the model hears how
 * the task ended, as the PC's own notice, and answers. The answer is kept in the conversation and
 * handed to `tell` (the agent pushes it to the user's devices). Turns of one conversation run one
 * after another, never interleaved.
 */
import type { Task } from "@ora/protocol";
import type { Logger } from "../log.js";
import { isFinal, type Safety } from "../safety/index.js";
import { runTurn, type ConversationStore, type LoopLimits } from "./loop.js";
import { taskEnded } from "./prompt.js";
import type { ChatProvider } from "../llm/types.js";

export interface Resumed {
  user: string;
  conversation: string;
  message: { role: "assistant"; content: string; at: number };
}

export function continueAfterTasks(
  deps: { provider: ChatProvider; safety: Safety; memory: ConversationStore; limits?: LoopLimits },
  tell: (resumed: Resumed) => void,
  log: Logger,
): () => void {
  const queues = new Map<string, Promise<void>>();
  return deps.safety.tasks.onChange((task) => {
    if (task.conversation === null || !isFinal(task.state)) return;
    const conversation = task.conversation;
    const next = (queues.get(conversation) ?? Promise.resolve()).then(() => resume(task, conversation));
    queues.set(conversation, next);
    void next.finally(() => queues.get(conversation) === next && queues.delete(conversation));
  });

  async function resume(task: Task, conversation: string): Promise<void> {
    try {
      const turn = await runTurn(
        { text: taskEnded(task), conversation, notice: true },
        { requester: task.requester, who: `task ${task.id}`, signal: new AbortController().signal, emit: () => undefined },
        deps,
      );
      tell({ user: task.requester.user, conversation, message: { role: "assistant", content: turn.text, at: Date.now() } });
    } catch (error) {
      // The task's outcome is kept and pushed anyway; only the model's words about it are missing.
      log.warn("could not continue a conversation after its task ended", { task: task.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
