/** English, the reference catalogue: its keys are the keys. One file per area of the app. */
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

export const en = {
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
export type Key = keyof typeof en;
