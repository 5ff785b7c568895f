/**
 * The web client's words, in English and Japanese. Every string a person reads comes from a
 * catalogue (en/, ja/: one file per area, keys prefixed with the area) through `t()`; the language
 * is the reader's choice in Settings, else the first of the browser's languages we speak, else
 * English. Dates and times go through `Intl` in that language and the device's own time zone.
 * test/web/i18n.test.ts fails when a key is missing in either language or their placeholders differ.
 *
 * Only the reader's language is loaded (each catalogue is its own chunk): main.ts waits for
 * `languageReady` before drawing, and a change of language loads the other one first.
 */
import type { Key } from "./en/index.js";

export type { Key };
export const LANGUAGES = ["en", "ja"] as const;
export type Language = (typeof LANGUAGES)[number];
export type Params = Record<string, string | number>;

const CATALOGUES: Partial<Record<Language, Record<Key, string>>> = {};
const OVERRIDE = "ora.language";

let language: Language = pick(typeof navigator === "undefined" ? [] : navigator.languages, storedOverride());
const listeners = new Set<(language: Language) => void>();

/** Loads one language's catalogue (once). */
async function load(which: Language): Promise<void> {
  CATALOGUES[which] ??= which === "ja" ? (await import("./ja/index.js")).ja : (await import("./en/index.js")).en;
}

/** Settles once the reader's language can be shown. */
export const languageReady: Promise<void> = load(language);

/** The first of the reader's languages that ORA speaks ("ja-JP" → ja), English otherwise; a stored choice wins. */
export function pick(preferred: readonly string[], override?: string | null): Language {
  if (override === "en" || override === "ja") return override;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "en" || base === "ja") return base;
  }
  return "en";
}

export function currentLanguage(): Language {
  return language;
}

/** The reader's own choice (null: follow the browser), remembered on this device; settles once it is shown. */
export async function chooseLanguage(choice: Language | null): Promise<void> {
  try {
    if (choice === null) localStorage.removeItem(OVERRIDE);
    else localStorage.setItem(OVERRIDE, choice);
  } catch {
    // Storage refused (private mode): the choice lasts until the page is closed.
  }
  const next = pick(navigator.languages, choice);
  await load(next);
  document.documentElement.lang = next;
  if (next === language) return;
  language = next;
  for (const listener of listeners) listener(next);
}

export function languageChoice(): Language | null {
  const stored = storedOverride();
  return stored === "en" || stored === "ja" ? stored : null;
}

/** Called when the language changes, so views can draw themselves again. */
export function onLanguage(listener: (language: Language) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The sentence for `key` in the reader's language, with `{name}` placeholders filled in. */
export function t(key: Key, params?: Params): string {
  const template = CATALOGUES[language]?.[key] ?? CATALOGUES.en?.[key] ?? key;
  return params ? template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : template;
}

/** `key.one` or `key.other` by the language's plural rules (Japanese has only `other`), with `{count}` filled in. */
export function plural(key: string, count: number, params?: Params): string {
  const rule = new Intl.PluralRules(language).select(count);
  const candidate = `${key}.${rule}` as Key;
  const chosen = candidate in (CATALOGUES[language] ?? {}) ? candidate : (`${key}.other` as Key);
  return t(chosen, { count: formatNumber(count), ...params });
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(language).format(value);
}

/** A moment in the device's time zone: "11月29日 17:05" / "Nov 29, 5:05 PM"; the year only when it is not this one. */
export function formatDateTime(ms: number, options: Intl.DateTimeFormatOptions = {}): string {
  const sameYear = new Date(ms).getFullYear() === new Date().getFullYear();
  return new Intl.DateTimeFormat(language, {
    ...(sameYear ? {} : { year: "numeric" }),
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    ...options,
  }).format(ms);
}

export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(language, { hour: "numeric", minute: "2-digit" }).format(ms);
}

/** "3 minutes ago", "in 2 hours", "昨日": the largest unit that reads naturally. */
export function formatRelative(ms: number, now: number = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  const format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  return format.format(seconds, "second");
}

function storedOverride(): string | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage.getItem(OVERRIDE);
  } catch {
    return null;
  }
}
