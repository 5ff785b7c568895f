/**
 * Light, dark, or as the device says: the reader's choice, remembered on this device. The palettes
 * live in styles/base.css; `html[data-theme]` overrides the system's preference, no attribute follows it.
 */
export const THEMES = ["light", "dark"] as const;
export type Theme = (typeof THEMES)[number];

const KEY = "ora.theme";

export function themeChoice(): Theme | null {
  try {
    const stored = localStorage.getItem(KEY);
    return stored === "light" || stored === "dark" ? stored : null;
  } catch {
    return null;
  }
}

/** Applies a choice (null: follow the system) and remembers it. */
export function chooseTheme(choice: Theme | null): void {
  try {
    if (choice === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Storage refused (private mode): the choice lasts until the page is closed.
  }
  applyTheme(choice);
}

export function applyTheme(choice: Theme | null = themeChoice()): void {
  if (choice === null) delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}
