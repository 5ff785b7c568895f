import type { Task } from "@ora/protocol";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { ProviderError, type ChatProvider } from "../llm/types.js";
import type { Safety } from "../safety/index.js";
import { runTurn, type ConversationStore, type LoopLimits } from "../secretary/loop.js";
import { asHandlerError, callTool, describe } from "./tools.js";

/** The secretary proper: present when a language model is configured. */
export interface Secretary {
  provider: ChatProvider;
  memory: ConversationStore;
  limits?: LoopLimits;
}

const HELP = `Direct commands:
  /tools                      the tools you may use here, with their risk
  /run <tool> [json args]     run one, e.g. /run notes.add {"text":"call the bank"}
  /help                       this list
Tools marked HIGH or CRITICAL wait for the owner's approval.`;

const NO_MODEL = `No language model is configured on this PC, so I cannot chat yet, but direct commands work.
To add one, set OPENAI_API_KEY (any OpenAI-compatible endpoint with OPENAI_BASE_URL, e.g. Ollama) or
ANTHROPIC_API_KEY before "ora-agent start", or list providers in providers.json; "ora-agent models"
shows what the agent sees.\n\n${HELP}`;

export function registerChatMethod(registry: HandlerRegistry, safety: Safety, secretary?: Secretary): void {
  registry.register("chat", async ({ text, conversation }, context) => {
    const trimmed = text.trim();
    if (trimmed === "/help") return { text: HELP };
    if (trimmed === "/tools") {
      const tools = safety.listTools(context.requester);
      if (tools.length === 0) return { text: "No tools are available to this device." };
      return { text: tools.map((t) => `${t.name} (${t.risk}${t.needsApproval ? ", needs approval" : ""}): ${t.description}`).join("\n"), tools };
    }
    const run = /^\/run\s+(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
    if (run) {
      const name = run[1]!;
      const json = run[2];
      let args: unknown = {};
      if (json !== undefined && json.trim() !== "") {
        try {
          args = JSON.parse(json);
        } catch {
          return { text: `The arguments after the tool name must be JSON, e.g. /run ${name} {"text":"…"}` };
        }
      }
      const outcome = await callTool(safety, context, name, args, `chat command from ${describe(context)}`);
      if (outcome.status === "waiting") return { text: waitingText(outcome.task), task: outcome.task };
      const { result } = outcome;
      return { text: typeof result === "string" ? result : JSON.stringify(result, null, 2), result };
    }
    if (trimmed.startsWith("/")) return { text: `Unknown command ${trimmed.split(/\s/)[0]}.\n\n${HELP}` };
    if (!secretary) return { text: NO_MODEL, model: null };
    try {
      return await runTurn(
        { text, ...(conversation === undefined ? {} : { conversation }) },
        { requester: context.requester, who: context.name, signal: context.signal, emit: context.emit },
        secretary.limits ? { ...secretary, safety, limits: secretary.limits } : { ...secretary, safety },
      );
    } catch (error) {
      // Provider errors carry no keys (llm/types.ts); they tell the user which models failed.
      if (error instanceof ProviderError) throw new HandlerError("failed", `no model could answer: ${error.message}`);
      throw asHandlerError(error);
    }
  });
}

/** What a person reads when their call waits: which task, for whom, and that they will be told. */
export function waitingText(task: Task): string {
  const until = new Date(task.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `${task.tool} (${task.risk}) waits for the owner's approval as task ${task.id}; it runs once approved (until ${until}), and you will be told how it ends.`;
}
