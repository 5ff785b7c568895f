import type { app as en } from "../en/app.js";

export const app = {
  "app.name": "ORA",
  "app.tagline": "あなたのPCで動く、あなた専用のAI秘書",
} satisfies Record<keyof typeof en, string>;
