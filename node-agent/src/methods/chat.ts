import { type ChatNotice, Schedule, type Task } from "@ora/protocol";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { ProviderError, type ChatProvider } from "../llm/types.js";
import type { Safety } from "../safety/index.js";
import { runTurn, type ConversationStore, type LoopLimits } from "../secretary/loop.js";
import { formatLocal, readReminder, type ScheduleService } from "../schedule/index.js";
import { asHandlerError, callTool, describe, type ToolCallContext } from "./tools.js";

/** The secretary proper: present when a language model is configured. */
export interface Secretary {
  provider: ChatProvider;
  memory: ConversationStore;
  limits?: LoopLimits;
}

const HELP = `Direct commands:
  /tools                      the tools you may use here, with their risk
  /run <tool> [json args]     run one, e.g. /run notes.add {"text":"call the bank"}
  /remind <when> <what>       e.g. /remind tomorrow 9am call the bank, /remind in 20 minutes tea,
                              /remind every monday 8:00 team call, /remind 明日9時 銀行に電話
  /reminders                  your reminders and scheduled jobs
  /help                       this list
Tools marked HIGH or CRITICAL wait for the owner's approval.`;

const NO_MODEL = `No language model is configured on this PC, so I cannot chat yet, but direct commands work.
To add one, set OPENAI_API_KEY (any OpenAI-compatible endpoint with OPENAI_BASE_URL; a server on this
PC such as Ollama needs only OPENAI_BASE_URL=http://127.0.0.1:11434/v1) or ANTHROPIC_API_KEY before
"ora-agent start", or list providers in providers.json; "ora-agent models" shows what the agent sees.\n\n${HELP}`;

export function registerChatMethod(registry: HandlerRegistry, safety: Safety, secretary?: Secretary, schedules?: ScheduleService): void {
  registry.register("chat", async ({ text, conversation }, context) => {
    const trimmed = text.trim();
    if (trimmed === "/help") return { text: HELP, notice: notice("help") };
    if (trimmed === "/tools") {
      const tools = safety.listTools(context.requester);
      if (tools.length === 0) return { text: "No tools are available to this device.", notice: notice("no_tools"), tools };
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
          return {
            text: `The arguments after the tool name must be JSON, e.g. /run ${name} {"text":"…"}`,
            notice: notice("run_args_not_json", { tool: name }),
          };
        }
      }
      const outcome = await callTool(safety, context, name, args, `chat command from ${describe(context)}`);
      if (outcome.status === "waiting") return waiting(outcome.task);
      const { result } = outcome;
      return { text: typeof result === "string" ? result : JSON.stringify(result, null, 2), result };
    }
    const remind = /^\/remind(?:\s+([\s\S]*))?$/.exec(trimmed);
    if (remind && schedules) return remindCommand(safety, schedules, context, remind[1] ?? "");
    if (trimmed === "/reminders" && schedules) return remindersCommand(safety, schedules, context);
    if (trimmed.startsWith("/")) {
      const command = trimmed.split(/\s/)[0]!;
      return { text: `Unknown command ${command}.\n\n${HELP}`, notice: notice("unknown_command", { command }) };
    }
    if (!secretary) return { text: NO_MODEL, notice: notice("no_model"), model: null };
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

/** A direct command's answer by key, for clients that say it in their reader's language. */
function notice(key: ChatNotice["key"], params?: ChatNotice["params"]): ChatNotice {
  return params ? { key, params } : { key };
}

/** A call that waits for the owner: the task, and the same news by key (its expiry as epoch ms, for the reader's clock). */
function waiting(task: Task) {
  return {
    text: waitingText(task),
    notice: notice("waiting_for_approval", { tool: task.tool, risk: task.risk, task: task.id, expiresAt: task.expiresAt }),
    task,
  };
}

/** What a person reads when their call waits: which task, for whom, and that they will be told. */
export function waitingText(task: Task): string {
  const until = new Date(task.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `${task.tool} (${task.risk}) waits for the owner's approval as task ${task.id}; it runs once approved (until ${until}), and you will be told how it ends.`;
}

/** `/remind <when> <what>`: read with the user's time zone, set through the schedule.create tool, and said back exactly. */
async function remindCommand(safety: Safety, schedules: ScheduleService, context: ToolCallContext, line: string) {
  const usage = "Say when and what, e.g. /remind tomorrow 9am call the bank, /remind in 20 minutes tea, /remind every monday 8:00 team call";
  if (line.trim() === "") return { text: usage, notice: notice("remind_usage") };
  const read = readReminder(line, { now: Date.now(), timeZone: schedules.timeZone });
  if (!read.ok) return { text: `I could not read when: ${read.message}.\n${usage}`, notice: notice("remind_unreadable", { message: read.message }) };
  if (read.rest === "")
    return { text: `Understood ${read.when.words}, but remind of what? ${usage}`, notice: notice("remind_what", { when: read.when.words }) };
  // A one-time reminder is handed on as the exact instant understood, so nothing is read twice.
  const when = read.when.kind === "once" ? new Date(read.when.at!).toISOString() : read.when.words;
  const outcome = await callTool(safety, context, "schedule.create", { when, text: read.rest }, `chat command from ${describe(context)}`);
  if (outcome.status === "waiting") return waiting(outcome.task);
  const { schedule } = outcome.result as { schedule: unknown };
  const made = Schedule.parse(schedule);
  const at = made.nextAt === null ? "" : formatLocal(made.nextAt, made.timeZone);
  const text = made.kind === "once" ? `⏰ Reminder set for ${at}: ${made.text}` : `⏰ Reminder set ${made.when} (${made.timeZone}), first ${at}: ${made.text}`;
  const params = { text: made.text, kind: made.kind, when: made.when, timeZone: made.timeZone, ...(made.nextAt === null ? {} : { at: made.nextAt }) };
  return { text, notice: notice("reminder_set", params), schedule: made };
}

async function remindersCommand(safety: Safety, schedules: ScheduleService, context: ToolCallContext) {
  const outcome = await callTool(safety, context, "schedule.list", {}, `chat command from ${describe(context)}`);
  if (outcome.status === "waiting") return waiting(outcome.task);
  const { schedules: list } = outcome.result as { schedules: unknown[] };
  const active = list.map((s) => Schedule.parse(s));
  if (active.length === 0)
    return {
      text: `No reminders yet. Try: /remind tomorrow 9am call the bank (times in ${schedules.timeZone})`,
      notice: notice("no_reminders", { timeZone: schedules.timeZone }),
    };
  const lines = active.map((s) => {
    const next = s.nextAt === null ? "—" : formatLocal(s.nextAt, s.timeZone);
    return `${next}  ${s.action === "job" ? "job" : "reminder"}: ${s.text}${s.kind === "recurring" ? ` (${s.when})` : ""}  [${s.id}]`;
  });
  return { text: lines.join("\n") };
}
