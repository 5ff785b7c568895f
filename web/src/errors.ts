/**
 * Every failure code the relay, the agent or the client library can report, as a sentence a person
 * understands in their own language, with what to do next. Codes are the contract
 * (protocol/src/errors.ts, payload.ts, pairing-code.ts); the words are the `errors.*` catalogue.
 */
import { type AnyErrorCode, OraError, PairingCodeError, type PairingCodeReason } from "@ora/protocol";
import { currentLanguage, type Key, t } from "./i18n/index.js";

// A code without words does not compile (and test/web/errors-words.test.ts says which one).
type Unworded = Exclude<`errors.${AnyErrorCode}` | `errors.code.${PairingCodeReason}`, Key>;
const everyCodeWorded: [Unworded] extends [never] ? true : Unworded = true;
void everyCodeWorded;

/** Codes whose message from the PC names what was refused (which file, which words): written for people, in English. */
const DETAILED = new Set<AnyErrorCode>(["denied", "failed", "bad_params", "not_found", "forbidden", "wrong_code", "locked_out"]);

/** The catalogue's sentence for a code. */
export function codeWords(code: AnyErrorCode): string {
  return t(`errors.${code}`);
}

/**
 * A sentence for any error. The PC's own message is added after the sentence only for a reader of
 * English, and only where it adds detail: a Japanese reader never gets the PC's English.
 */
export function explain(error: unknown): string {
  if (error instanceof PairingCodeError) return t(`errors.code.${error.reason}`, { word: error.word ?? "" });
  if (!(error instanceof OraError)) return t("errors.unexpected");
  // The PC's refusal arrives sealed from the PC itself (pair-client.ts); the relay's own pairing_failed covers both.
  if (error.code === "pairing_failed" && /owner declined/.test(error.message)) return t("errors.declined");
  const sentence = codeWords(error.code);
  const detail = currentLanguage() === "en" && DETAILED.has(error.code) ? error.message.trim() : "";
  return detail ? t("errors.detail", { sentence, detail }) : sentence;
}
