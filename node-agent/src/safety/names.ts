/**
 * Tool names are plain ASCII and matched exactly. A requested name is NFC-normalised and must then be
 * printable ASCII, so a Cyrillic 'а', a fullwidth letter, a zero-width joiner or a trailing space can
 * never reach a tool that merely looks the same; case is significant ("Files.read" is not "files.read").
 */

/** What a registered tool may be called: lower case, digits, and single `.`, `_` or `-` separators. */
export const TOOL_NAME = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;
export const MAX_TOOL_NAME = 64;

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

export function checkRequestedName(raw: unknown): NameCheck {
  if (typeof raw !== "string") return { ok: false, reason: "the tool name is not a string" };
  if (raw.length === 0 || raw.length > MAX_TOOL_NAME) return { ok: false, reason: "the tool name is empty or too long" };
  const name = raw.normalize("NFC");
  if (!/^[\x21-\x7e]+$/.test(name)) return { ok: false, reason: "the tool name has characters outside printable ASCII" };
  return { ok: true, name };
}

export function isValidToolName(name: string): boolean {
  return name.length <= MAX_TOOL_NAME && TOOL_NAME.test(name);
}

/** A requested name as it may be written to the audit: bounded and with control characters escaped. */
export function auditableName(raw: unknown): string {
  const text = typeof raw === "string" ? raw : `<${typeof raw}>`;
  return JSON.stringify(text.slice(0, MAX_TOOL_NAME * 2)).slice(1, -1);
}
