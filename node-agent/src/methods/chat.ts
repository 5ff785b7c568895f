/**
 * `chat`: what a person types to their secretary. Without a language model it still does what it
 * can: direct commands run tools through the same enforcement point as everything else, and any
 * other message gets a plain answer on what works. Text never decides an approval: "/approve" is not
 * a command here, by design (approvals.decide is a separate, explicit request).
 */
import { z } from "zod";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { ProviderError, type ChatProvider } from "../llm/types.js";
import type { Safety } from "../safety/index.js";
import { runTurn, type ConversationStore, type LoopLimits } from "../secretary/loop.js";
import { requesterOf } from "./requester.js";
import { asHandlerError, callTool } from "./tools.js";

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
  registry.register("chat", {
    description: "A message to the secretary (streams text and tool steps); direct commands (/tools, /run, /help) work with or without a model.",
    params: z.object({ text: z.string().min(1).max(32_000), conversation: z.string().max(64).optional() }),
    run: async ({ text, conversation }, context) => {
      const trimmed = text.trim();
      if (trimmed === "/help") return { text: HELP };
      if (trimmed === "/tools") {
        const tools = safety.listTools(requesterOf(context));
        if (tools.length === 0) return { text: "No tools are available to this device." };
        return { text: tools.map((t) => `${t.name} (${t.risk}${t.needsApproval ? ", needs approval" : ""}): ${t.description}`).join("\n"), tools };
      }
      const run = /^\/run\s+(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
      if (run) {
        const [, name, json] = run as unknown as [string, string, string | undefined];
        let args: unknown = {};
        if (json !== undefined && json.trim() !== "") {
          try {
            args = JSON.parse(json);
          } catch {
            return { text: `The arguments after the tool name must be JSON, e.g. /run ${name} {"text":"…"}` };
          }
        }
        const result = await callTool(safety, context, name, args, `chat command from ${context.deviceName} (device ${context.device})`);
        return { text: typeof result === "string" ? result : JSON.stringify(result, null, 2), result };
      }
      if (trimmed.startsWith("/")) return { text: `Unknown command ${trimmed.split(/\s/)[0]}.\n\n${HELP}` };
      if (!secretary) return { text: NO_MODEL, model: null };
      try {
        return await runTurn(
          { text, ...(conversation === undefined ? {} : { conversation }) },
          { requester: requesterOf(context), who: context.deviceName, signal: context.signal, emit: context.emit },
          secretary.limits ? { ...secretary, safety, limits: secretary.limits } : { ...secretary, safety },
        );
      } catch (error) {
        // Provider errors carry no keys (llm/types.ts); they tell the user which models failed.
        if (error instanceof ProviderError) throw new HandlerError("failed", `no model could answer: ${error.message}`);
        throw asHandlerError(error);
      }
    },
  });
}
