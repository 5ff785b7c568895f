/** Short random ids people can read out and type: approvals, tasks, rules and schedules use them. */
import { randomInt } from "node:crypto";

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32: no i, l, o, u to misread
const ID_LENGTH = 8;

/** Eight Crockford base32 characters (40 bits). */
export function newId(): string {
  let id = "";
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}
