/**
 * The protocol's schemas are written with zod/mini, which ships no messages: a failed check says
 * only "Invalid input". The relay and the agent answer with issue text, so they load the English
 * messages once at start; the browser never calls this and its bundle carries no locale.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

export function useEnglishSchemaMessages(): void {
  config(en());
}
