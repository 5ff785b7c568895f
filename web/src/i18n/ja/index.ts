/** Japanese: the same keys as English (each area file is checked against its English twin). */
import type { Key } from "../en/index.js";
import { app } from "./app.js";
import { conversations } from "./conversations.js";

export const ja: Record<Key, string> = { ...app, ...conversations };
