/**
 * Every error a client can be handed has words in both languages: each code of the protocol's enums
 * and each reason a typed pairing code is refused. A new code without a catalogue entry fails here
 * (and does not compile in web/src/errors.ts). explain() never hands a Japanese reader the PC's English.
 */
import { APP_ERROR_CODES, CLIENT_ERROR_CODES, ERROR_CODES, OraError, PAIRING_CODE_REASONS, parsePairingCode } from "@ora/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { explain } from "../../web/src/errors.js";
import { en } from "../../web/src/i18n/en/index.js";
import { chooseLanguage } from "../../web/src/i18n/index.js";
import { ja } from "../../web/src/i18n/ja/index.js";

const CODES = [...new Set([...ERROR_CODES, ...APP_ERROR_CODES, ...CLIENT_ERROR_CODES])];

/** The reader's choice of language; chooseLanguage() marks the page's <html lang>, here a stand-in. */
async function speak(language: "en" | "ja"): Promise<void> {
  Object.assign(globalThis, { document: { documentElement: { lang: "" } } });
  await chooseLanguage(language);
}

describe("the words for errors", () => {
  afterEach(() => speak("en"));
  beforeEach(() => speak("en"));

  it("has a sentence for every error code of the protocol, in English and Japanese", () => {
    const missing = CODES.flatMap((code) => [`errors.${code}`].filter((key) => !(key in en) || !(key in ja)));
    expect(missing).toEqual([]);
  });

  it("has a sentence for every reason a pairing code is refused", () => {
    expect(PAIRING_CODE_REASONS.map((reason) => `errors.code.${reason}`).filter((key) => !(key in en) || !(key in ja))).toEqual([]);
  });

  it("says each code in Japanese without the PC's English message", async () => {
    await speak("ja");
    for (const code of CODES) {
      const sentence = explain(new OraError(code, "the file notes.txt is outside the shared folders"));
      expect(sentence, code).toBe(ja[`errors.${code}` as keyof typeof ja]);
      expect(sentence, code).not.toContain("notes.txt");
    }
  });

  it("adds the PC's own detail for a reader of English, where it names what was refused", async () => {
    await speak("en");
    expect(explain(new OraError("denied", "files.write is not allowed for guests"))).toBe(
      "Your PC's rules do not allow that. (files.write is not allowed for guests)",
    );
    expect(explain(new OraError("node_offline", "agent not connected"))).toBe(en["errors.node_offline"]);
  });

  it("says why a typed pairing code is wrong in the reader's language, naming the misspelt word", async () => {
    const wrong = (input: string) => {
      try {
        parsePairingCode(input);
      } catch (error) {
        return explain(error);
      }
      throw new Error(`${input} was accepted`);
    };
    await speak("ja");
    expect(wrong("7-orbit-velvet-cannnnon")).toBe("コードの形が正しくありません。「cannnnon」はコードの単語ではありません。つづりを確かめてください。");
    expect(wrong("orbit")).toBe(ja["errors.code.no_nameplate"]);
    await speak("en");
    expect(wrong("7-orbit")).toBe(en["errors.code.word_count"]);
  });
});
