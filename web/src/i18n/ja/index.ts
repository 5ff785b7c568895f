/** Japanese: the same keys as English (each area file is checked against its English twin). */
import type { Key } from "../en/index.js";
import { app } from "./app.js";
import { approvals } from "./approvals.js";
import { devices } from "./devices.js";
import { pair } from "./pair.js";
import { settings } from "./settings.js";

export const ja: Record<Key, string> = { ...app, ...pair, ...settings, ...devices, ...approvals };
