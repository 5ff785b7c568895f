/** English, the reference catalogue: its keys are the keys. One file per area of the app. */
import { app } from "./app.js";

export const en = { ...app };
export type Key = keyof typeof en;
