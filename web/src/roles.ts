/** A role as a person reads it ("Owner", "オーナー"): for this device's settings, the device list and the approvals inbox. */
import type { Role } from "@ora/protocol";
import { type Key, t } from "./i18n/index.js";

const ROLE_WORDS: Record<Role, Key> = { owner: "app.role.owner", "sub-admin": "app.role.sub-admin", guest: "app.role.guest" };

export function roleWord(role: Role): string {
  return t(ROLE_WORDS[role]);
}
