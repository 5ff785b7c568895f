/** English, the reference catalogue: its keys are the keys. One file per area of the app. */
import { app } from "./app.js";
import { chat } from "./chat.js";

export const en = { ...app, ...chat };
export type Key = keyof typeof en;
