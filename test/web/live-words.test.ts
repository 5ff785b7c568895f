/**
 * The parts of a view built once (headings, labels, a status line) say their words again when the
 * reader changes language, without the view being built again. A stand-in for the few DOM calls the
 * helpers make keeps this a plain Node test.
 */
import { afterEach, describe, expect, it } from "vitest";
import { chooseLanguage, t } from "../../web/src/i18n/index.js";
import { statusLine, words, wordsIn } from "../../web/src/live-words.js";

class FakeElement {
  textContent = "";
  readonly attributes = new Map<string, string>();
  readonly classes = new Set<string>();
  readonly classList = { toggle: (name: string, on: boolean) => (on ? this.classes.add(name) : this.classes.delete(name)) };
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
}

Object.assign(globalThis, { document: { documentElement: { lang: "" }, createTextNode: (text: string) => ({ textContent: text }) } });

describe("words that follow the reader's language", () => {
  afterEach(() => chooseLanguage("en"));

  it("says a heading, an attribute and a status sentence again after a change of language", async () => {
    await chooseLanguage("en");
    const heading = words("tasks.title");
    const input = wordsIn(new FakeElement() as unknown as Element, { placeholder: "reminders.when-hint" }) as unknown as FakeElement;
    const line = new FakeElement();
    const say = statusLine(line as unknown as HTMLElement);
    say(() => t("tasks.cancelled", { tool: "files.write" }), true);
    expect([heading.textContent, input.attributes.get("placeholder"), line.textContent]).toEqual([
      "Tasks",
      "tomorrow 9am · in 20 min",
      "Cancelled files.write: it will not run.",
    ]);
    expect(line.classes.has("error")).toBe(true);

    await chooseLanguage("ja");
    expect([heading.textContent, input.attributes.get("placeholder"), line.textContent]).toEqual([
      "タスク",
      "明日9時 · 20分後",
      "files.write を取り消しました。実行されません。",
    ]);
    say();
    expect(line.textContent).toBe("");
    expect(line.classes.has("error")).toBe(false);
  });
});
