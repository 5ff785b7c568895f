/**
 * The catalogues: every key in both languages, the same placeholders on both sides, no empty
 * string, and every key the web client's sources ask for exists.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { en } from "../../web/src/i18n/en/index.js";
import { pick } from "../../web/src/i18n/index.js";
import { ja } from "../../web/src/i18n/ja/index.js";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [readFileSync(join(dir, entry.name), "utf8")] : [],
  );
}

describe("the web client's catalogues", () => {
  it("have the same keys in English and Japanese", () => {
    expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
  });

  it("fill the same placeholders in both languages, and leave nothing empty", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(en[key].trim(), key).not.toBe("");
      expect(ja[key].trim(), key).not.toBe("");
      expect(placeholders(ja[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("hold every key the sources use", () => {
    const used = sources("web/src").flatMap((text) => [...text.matchAll(/\bt\("([a-z][\w.-]*)"/g)].map((m) => m[1]!));
    const plurals = sources("web/src").flatMap((text) => [...text.matchAll(/\bplural\("([a-z][\w.-]*)"/g)].map((m) => `${m[1]!}.other`));
    expect(used.length).toBeGreaterThan(0);
    expect([...used, ...plurals].filter((key) => !(key in en))).toEqual([]);
  });

  it("speak the reader's first language we know, English otherwise, and a stored choice wins", () => {
    expect(pick(["ja-JP", "en-US"])).toBe("ja");
    expect(pick(["fr-FR", "en-GB", "ja"])).toBe("en");
    expect(pick(["de-DE"])).toBe("en");
    expect(pick(["ja-JP"], "en")).toBe("en");
    expect(pick(["en-US"], "ja")).toBe("ja");
  });
});
