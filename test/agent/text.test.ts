import { blankControls, escapeControls, flattenControls, hasControlChars } from "../../node-agent/src/text.js";
import { describe, expect, it } from "vitest";

describe("control characters", () => {
  it("finds C0, DEL and C1 controls, and nothing in plain text", () => {
    for (const c of ["\u0000", "\u001b", "\u007f", "\u009b", "\t", "\n"]) expect(hasControlChars(`a${c}b`)).toBe(true);
    expect(hasControlChars("plain text, 日本語 too")).toBe(false);
  });

  it("flattens every control to a space for one-line fields", () => {
    expect(flattenControls("a\tb\nc\u001b[2Jd\u009be")).toBe("a b c [2Jd e");
  });

  it("escapes terminal controls visibly but keeps tabs and newlines", () => {
    expect(escapeControls("a\tb\nc\u001b[31md\u009b")).toBe("a\tb\nc\\u001b[31md\\u009b");
  });

  it("blanks each run of controls but keeps tabs and newlines", () => {
    expect(blankControls("a\u0000\u0001b\tc\nd\u007f")).toBe("a b\tc\nd ");
  });
});
