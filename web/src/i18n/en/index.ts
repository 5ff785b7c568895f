/** English, the reference catalogue: its keys are the keys. One file per area of the app. */
import { app } from "./app.js";
import { approvals } from "./approvals.js";
import { devices } from "./devices.js";
import { pair } from "./pair.js";
import { settings } from "./settings.js";

export const en = { ...app, ...pair, ...settings, ...devices, ...approvals };
export type Key = keyof typeof en;
