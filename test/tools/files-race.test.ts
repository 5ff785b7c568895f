/**
 * A path that changes between the tools' checks and their open: simulated deterministically by letting
 * the check itself swap the path for a symlink, right after it looked.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import type * as fsp from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { filesRead, filesWrite } from "../../node-agent/src/tools/index.js";
import { call, tempDir, toolContext, toolError } from "./context.js";

let afterCheck: ((path: string) => void) | undefined;

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof fsp>();
  const swapAfter =
    <A extends unknown[], R>(fn: (path: string, ...rest: A) => Promise<R>) =>
    async (path: string, ...rest: A): Promise<R> => {
      try {
        return await fn(path, ...rest);
      } finally {
        afterCheck?.(path);
      }
    };
  return { ...real, lstat: swapAfter(real.lstat as never), realpath: swapAfter(real.realpath as never) };
});

afterEach(() => {
  afterCheck = undefined;
});

describe("file tools under a racing path swap", () => {
  it("does not create a file outside when a symlink appears after the write check", async () => {
    const root = tempDir();
    const outside = tempDir();
    afterCheck = (path) => {
      if (path === join(root, "race.txt")) {
        afterCheck = undefined;
        symlinkSync(join(outside, "planted.txt"), path);
      }
    };
    await toolError(call(filesWrite, { path: "race.txt", content: "x", mode: "overwrite" }, toolContext({ roots: [root] })), "denied");
    expect(existsSync(join(outside, "planted.txt"))).toBe(false);
  });

  it.runIf(process.platform === "linux")("does not read outside when a parent folder becomes a symlink after the check", async () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(join(root, "docs"));
    writeFileSync(join(root, "docs", "note.txt"), "inside");
    writeFileSync(join(outside, "note.txt"), "TOP SECRET");
    afterCheck = (path) => {
      if (path === join(root, "docs", "note.txt")) {
        afterCheck = undefined;
        renameSync(join(root, "docs"), join(root, "docs-old"));
        symlinkSync(outside, join(root, "docs"));
      }
    };
    await toolError(call(filesRead, { path: "docs/note.txt" }, toolContext({ roots: [root] })), "denied");
    expect(readFileSync(join(root, "docs", "note.txt"), "utf8")).toBe("TOP SECRET"); // the swap really happened
  });

  it.runIf(process.platform === "linux")("neither truncates nor writes a file outside when the parent folder is swapped after the check", async () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(join(root, "docs"));
    writeFileSync(join(root, "docs", "note.txt"), "inside");
    writeFileSync(join(outside, "note.txt"), "TOP SECRET");
    afterCheck = (path) => {
      if (path === join(root, "docs")) {
        afterCheck = undefined;
        renameSync(join(root, "docs"), join(root, "docs-old"));
        symlinkSync(outside, join(root, "docs"));
      }
    };
    await toolError(call(filesWrite, { path: "docs/note.txt", content: "pwned", mode: "overwrite" }, toolContext({ roots: [root] })), "denied");
    expect(readFileSync(join(outside, "note.txt"), "utf8")).toBe("TOP SECRET");
  });
});
