/** The conversation: bubbles, composer, tool steps, results, and the answers to direct commands. */
const COMMANDS = `- \`/tools\` — the tools you may use here, with their risk
- \`/run <tool> [JSON]\` — run one, e.g. \`/run notes.add {"text":"call the bank"}\`
- \`/remind <when> <what>\` — e.g. \`/remind tomorrow 9am call the bank\`, \`/remind in 20 minutes tea\`, \`/remind every monday 8:00 team call\`
- \`/reminders\` — your reminders and scheduled jobs
- \`/help\` — this list

Tools marked HIGH or CRITICAL wait for the owner's approval.`;

const REMIND_USAGE = "Say when and what, e.g. `/remind tomorrow 9am call the bank`, `/remind in 20 minutes tea`, `/remind every monday 8:00 team call`.";

export const chat = {
  "chat.label": "Chat",
  "chat.log": "Conversation",
  "chat.you": "You said:",
  "chat.ora": "ORA said:",
  "chat.message": "Message",
  "chat.placeholder": "Message ORA",
  "chat.send": "Send",
  "chat.stop": "Stop",
  "chat.new": "New conversation",
  "chat.newMessages": "New messages",
  "chat.empty.title": "What ORA can do here",
  "chat.empty.intro": "Ask in your own words, or use a command. Tap an example to put it in the message box.",
  "chat.empty.help": "See the commands",
  "chat.empty.tools": "See which tools you may use",
  "chat.empty.remind": "Set a reminder",
  "chat.empty.remindExample": "/remind tomorrow 9am call the bank",
  "chat.empty.note": "Save a note",
  "chat.empty.noteExample": '/run notes.add {"text":"buy milk"}',

  "chat.step.running": "running…",
  "chat.step.waiting": "{risk} · waiting for approval",
  "chat.step.done": "done",
  "chat.step.refused": "refused",
  "chat.task.waiting_approval": "waiting for the owner's approval — you'll be told",
  "chat.task.running": "approved, running…",
  "chat.task.done": "done",
  "chat.task.failed": "failed",
  "chat.task.denied": "denied by the owner",
  "chat.task.expired": "expired: nobody approved it in time",
  "chat.task.cancelled": "cancelled",
  "chat.task.approvedRunning": "Approved: `{tool}` is running…",
  "chat.why.denied": "The owner denied {tool}.",
  "chat.why.expired": "Nobody approved {tool} in time.",
  "chat.task.ranButFailed": "It ran but failed: {why}",

  "chat.notice.help": `**Commands**\n\n${COMMANDS}`,
  "chat.notice.no_model":
    "No language model is configured on this PC, so I can't chat yet — but the commands below work.\n\nTo add one, set `OPENAI_API_KEY` or `ANTHROPIC_API_KEY` on the PC before `ora-agent start` (a model on the PC itself, such as Ollama, needs only `OPENAI_BASE_URL=http://127.0.0.1:11434/v1`). `ora-agent models` shows what the agent sees.",
  "chat.notice.no_tools": "No tools are available to this device.",
  "chat.notice.unknown_command": "I don't know the command `{command}`. These are the ones I know:",
  "chat.notice.run_args_not_json": 'The arguments after the tool name must be JSON, e.g. `/run {tool} {"text":"…"}`',
  "chat.notice.waiting_for_approval":
    "`{tool}` ({risk}) waits for the owner's approval as task `{task}`. It runs once approved (until {expires}), and you'll be told how it ends.",
  "chat.notice.remind_usage": REMIND_USAGE,
  "chat.notice.remind_unreadable": `I couldn't read when: {message}. ${REMIND_USAGE}`,
  "chat.notice.remind_what": `Understood {when}, but remind you of what? ${REMIND_USAGE}`,
  "chat.notice.reminder_set": "Reminder set: {text}",
  "chat.notice.no_reminders": "No reminders yet. Try `/remind tomorrow 9am call the bank` (times in {timeZone}).",

  "chat.tools.title": "Tools you may use here",
  "chat.tools.LOW": "Low risk",
  "chat.tools.MEDIUM": "Medium risk",
  "chat.tools.HIGH": "High risk",
  "chat.tools.CRITICAL": "Critical risk",
  "chat.tools.needsApproval": "needs approval",

  "chat.result.done": "Done.",
  "chat.result.notes.one": "{count} note",
  "chat.result.notes.other": "{count} notes",
  "chat.result.noteSaved": "Note saved (#{id}).",
  "chat.result.created": "Saved a new file:",
  "chat.result.written": "Saved:",
  "chat.result.noNotes": "No notes.",
  "chat.result.emptyFolder": "This folder is empty.",
  "chat.result.folder": "folder",
  "chat.result.moreEntries": "More entries are not shown.",
  "chat.result.fileCut": "Only the first {bytes} bytes of {size} are shown.",
  "chat.result.binary": "{bytes} bytes of binary data (base64).",
  "chat.result.pageCut": "The page was cut short at the size limit.",
  "chat.result.untitled": "Untitled page",
  "chat.result.exitCode": "Exit code {code}",
  "chat.result.json": "Details (JSON)",
  "chat.result.jsonLines": "Details (JSON, {count} lines)",
  "chat.result.bytes": "{count} B",
  "chat.result.kilobytes": "{count} KB",
  "chat.result.megabytes": "{count} MB",
};
