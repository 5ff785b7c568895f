/** English, the reference catalogue: its keys are the keys. One file per area of the app. */
import { app } from "./app.js";
import { conversations } from "./conversations.js";

export const en = { ...app, ...conversations };
export type Key = keyof typeof en;
