/** Japanese: the same keys as English (each area file is checked against its English twin). */
import type { Key } from "../en/index.js";
import { app } from "./app.js";
import { tasks } from "./tasks.js";
import { reminders } from "./reminders.js";
import { rules } from "./rules.js";
import { lockdown } from "./lockdown.js";
import { passkeys } from "./passkeys.js";
import { errors } from "./errors.js";
import { chat } from "./chat.js";
import { conversations } from "./conversations.js";
import { approvals } from "./approvals.js";
import { devices } from "./devices.js";
import { pair } from "./pair.js";
import { settings } from "./settings.js";
import { files } from "./files.js";

export const ja: Record<Key, string> = {
  ...app,
  ...tasks,
  ...reminders,
  ...rules,
  ...lockdown,
  ...passkeys,
  ...errors,
  ...chat,
  ...conversations,
  ...approvals,
  ...devices,
  ...pair,
  ...settings,
  ...files,
};
