/**
 * What a direct command said (ChatResult.notice), in the reader's language and written for the
 * screen: the catalogue's Markdown with the notice's params put in as text. The agent's English
 * `text` stays for the terminal and Discord. The help list follows the notices that point to it.
 */
import type { ChatNotice } from "@ora/protocol";
import { formatDateTime, type Key, t } from "../i18n/index.js";
import { renderMarkdown } from "../markdown.js";

const KEYS = {
  help: "chat.notice.help",
  no_model: "chat.notice.no_model",
  no_tools: "chat.notice.no_tools",
  unknown_command: "chat.notice.unknown_command",
  run_args_not_json: "chat.notice.run_args_not_json",
  waiting_for_approval: "chat.notice.waiting_for_approval",
  remind_usage: "chat.notice.remind_usage",
  remind_unreadable: "chat.notice.remind_unreadable",
  remind_what: "chat.notice.remind_what",
  reminder_set: "chat.notice.reminder_set",
  no_reminders: "chat.notice.no_reminders",
} as const satisfies Record<ChatNotice["key"], Key>;

/** Notices followed by the list of commands. */
const WITH_HELP = new Set<ChatNotice["key"]>(["no_model", "unknown_command"]);

export function noticeView(notice: ChatNotice): DocumentFragment {
  const params: Record<string, string> = {};
  // Params are the PC's words, read as plain text: names go in code spans (which cannot hold a
  // backtick), everything else has Markdown's punctuation escaped.
  for (const [name, value] of Object.entries(notice.params ?? {}))
    params[name] = IN_CODE.has(name) ? String(value).replaceAll("`", "'") : escapeMarkdown(String(value));
  // A risk is said in the reader's words (高リスク), like everywhere else in the app.
  const risk = notice.params?.risk;
  if (risk === "HIGH" || risk === "CRITICAL") params.risk = t(`approvals.risk.${risk}`);
  const expiresAt = notice.params?.expiresAt;
  if (typeof expiresAt === "number") params.expires = formatDateTime(expiresAt);
  const text = t(KEYS[notice.key], params);
  return renderMarkdown(WITH_HELP.has(notice.key) ? `${text}\n\n${t("chat.notice.help")}` : text);
}

/** Params the catalogue always puts in a code span. */
const IN_CODE = new Set(["command", "tool", "task"]);

/** Backslash-escapes Markdown's punctuation. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}
