import { open } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ToolError } from "../../node-agent/src/safety/tool.js";
import { assertOpenedInside, pickRoot, splitRelative } from "../../node-agent/src/tools/paths.js";
import { tempDir, toolContext, toolError } from "./context.js";

function refusal(fn: () => unknown): ToolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    return err as ToolError;
  }
  throw new Error("expected a refusal");
}

describe("relative paths", () => {
  it("splits on both slash kinds and drops empty and '.' segments", () => {
    expect(splitRelative("a/b\\c")).toEqual(["a", "b", "c"]);
    expect(splitRelative("./a//b/.")).toEqual(["a", "b"]);
    expect(splitRelative("")).toEqual([]);
    expect(splitRelative(".")).toEqual([]);
  });

  it("refuses '..' in every spelling", () => {
    for (const path of ["..", "../x", "a/../../x", "a/../b", "..\\x", "a\\..\\..\\x", "./../x", "a/b/../../../x", "x/.."]) {
      expect(refusal(() => splitRelative(path)).code, path).toBe("bad_args");
    }
  });

  it("keeps percent escapes literal: '%2e%2e' is a file name, not a parent folder", () => {
    expect(splitRelative("%2e%2e/x")).toEqual(["%2e%2e", "x"]);
    expect(splitRelative("%2e%2e%2fx")).toEqual(["%2e%2e%2fx"]);
  });

  it("refuses absolute, UNC and drive-letter forms", () => {
    for (const path of ["/etc/passwd", "\\etc\\passwd", "//server/share/x", "\\\\server\\share\\x", "\\\\?\\C:\\x", "C:\\Windows", "c:foo", "C:/x"]) {
      expect(refusal(() => splitRelative(path)).code, path).toBe("bad_args");
    }
  });

  it("refuses NUL and other control characters", () => {
    expect(refusal(() => splitRelative("a\0b")).code).toBe("bad_args");
    expect(refusal(() => splitRelative("a\nb")).code).toBe("bad_args");
  });

  it("refuses names Windows would reinterpret, when running on Windows", () => {
    for (const path of [".. /x", "a./b", "file.txt:stream", "CON", "nul.txt", "dir/COM1", "lpt9.log"]) {
      expect(refusal(() => splitRelative(path, "win32")).code, path).toBe("bad_args");
    }
    expect(splitRelative("file.txt:stream", "linux")).toEqual(["file.txt:stream"]);
    expect(splitRelative("console.log", "win32")).toEqual(["console.log"]);
  });
});

describe("roots", () => {
  const roots = ["/srv/docs", "/home/me/photos", "/mnt/b/photos"];

  it("picks the first root by default, by number or by unique folder name", () => {
    expect(pickRoot(roots, undefined)).toBe("/srv/docs");
    expect(pickRoot(roots, 1)).toBe("/home/me/photos");
    expect(pickRoot(roots, "docs")).toBe("/srv/docs");
  });

  it("refuses unknown or ambiguous roots, and everything when none is configured", () => {
    expect(refusal(() => pickRoot(roots, 3)).code).toBe("bad_args");
    expect(refusal(() => pickRoot(roots, "music")).code).toBe("bad_args");
    expect(refusal(() => pickRoot(roots, "photos")).message).toMatch(/more than one/);
    expect(refusal(() => pickRoot([], undefined)).code).toBe("denied");
  });
});

describe("opened-file check", () => {
  it.runIf(process.platform === "linux")("catches a descriptor that refers to a file outside the root", async () => {
    const root = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, "secret.txt"), "s");
    writeFileSync(join(root, "fine.txt"), "f");
    const ctx = toolContext({ roots: [root] });
    const outsideFile = await open(join(outside, "secret.txt"));
    const insideFile = await open(join(root, "fine.txt"));
    try {
      await toolError(assertOpenedInside(ctx.config, outsideFile.fd, root, "secret.txt"), "denied");
      await assertOpenedInside(ctx.config, insideFile.fd, root, "fine.txt");
    } finally {
      await outsideFile.close();
      await insideFile.close();
    }
  });
});
