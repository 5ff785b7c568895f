import { execFileSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { ToolContext } from "../../node-agent/src/safety/tool.js";
import { READ_MAX_BYTES, WRITE_MAX_BYTES, filesList, filesRead, filesWrite } from "../../node-agent/src/tools/index.js";
import { call, tempDir, toolContext, toolError } from "./context.js";

let root: string;
let outside: string;
let ctx: ToolContext;

beforeEach(() => {
  root = tempDir("ora-root-");
  outside = tempDir("ora-outside-");
  writeFileSync(join(outside, "secret.txt"), "TOP SECRET");
  mkdirSync(join(root, "docs"));
  writeFileSync(join(root, "docs", "hello.txt"), "hello world");
  ctx = toolContext({ roots: [root] });
});

/** No refusal may name where the roots or the outside really are. */
function expectNoLeak(message: string) {
  expect(message).not.toContain(outside);
  expect(message).not.toContain(root);
}

describe("files.list", () => {
  it("lists names, kinds and sizes, sorted, without following symlinks", async () => {
    writeFileSync(join(root, "b.txt"), "12345");
    symlinkSync(join(outside, "secret.txt"), join(root, "a-link"));
    const { entries, truncated } = await call(filesList, {}, ctx);
    expect(entries).toEqual([
      { name: "a-link", type: "symlink" },
      { name: "b.txt", type: "file", size: 5 },
      { name: "docs", type: "dir" },
    ]);
    expect(truncated).toBe(false);
  });

  it("stops at the limit and says the listing is truncated", async () => {
    for (let i = 0; i < 12; i++) writeFileSync(join(root, `f${i}`), "");
    const { entries, truncated } = await call(filesList, { limit: 5 }, ctx);
    expect(entries).toHaveLength(5);
    expect(truncated).toBe(true);
    await expect(call(filesList, { limit: 1001 }, ctx)).rejects.toThrow();
  });

  it("lists a second root picked by name", async () => {
    const other = tempDir("ora-second-");
    writeFileSync(join(other, "x"), "");
    const two = toolContext({ roots: [root, other] });
    const name = other.split("/").at(-1)!;
    expect((await call(filesList, { root: name }, two)).entries).toEqual([{ name: "x", type: "file", size: 0 }]);
    expect((await call(filesList, { root: 1 }, two)).entries).toHaveLength(1);
  });

  it("refuses a symlinked folder that leads outside the root", async () => {
    symlinkSync(outside, join(root, "escape"));
    const err = await toolError(call(filesList, { path: "escape" }, ctx), "denied");
    expectNoLeak(err.message);
  });

  it("refuses '..' and absolute paths", async () => {
    await toolError(call(filesList, { path: ".." }, ctx), "bad_args");
    await toolError(call(filesList, { path: "docs/../.." }, ctx), "bad_args");
    await toolError(call(filesList, { path: outside }, ctx), "bad_args");
  });

  it("refuses everything when no folder is shared", async () => {
    await toolError(call(filesList, {}, toolContext()), "denied");
  });
});

describe("files.read", () => {
  it("reads a text file", async () => {
    expect(await call(filesRead, { path: "docs/hello.txt" }, ctx)).toMatchObject({ content: "hello world", size: 11, bytes: 11, truncated: false });
  });

  it("reads bytes as base64", async () => {
    writeFileSync(join(root, "bin"), Buffer.from([0, 255, 1]));
    expect(await call(filesRead, { path: "bin", encoding: "base64" }, ctx)).toMatchObject({ content: "AP8B", bytes: 3 });
  });

  it("stops at 1 MiB and reports the truncation", async () => {
    writeFileSync(join(root, "big"), Buffer.alloc(READ_MAX_BYTES + 10, 0x61));
    const result = await call(filesRead, { path: "big" }, ctx);
    expect(result).toMatchObject({ size: READ_MAX_BYTES + 10, bytes: READ_MAX_BYTES, truncated: true });
    expect(result.content).toHaveLength(READ_MAX_BYTES);
    expect(await call(filesRead, { path: "big", maxBytes: 4 }, ctx)).toMatchObject({ content: "aaaa", truncated: true });
    await expect(call(filesRead, { path: "big", maxBytes: READ_MAX_BYTES + 1 }, ctx)).rejects.toThrow();
  });

  it("follows a symlink whose target stays inside the root", async () => {
    symlinkSync(join(root, "docs", "hello.txt"), join(root, "shortcut"));
    expect((await call(filesRead, { path: "shortcut" }, ctx)).content).toBe("hello world");
  });

  it("refuses a symlink inside the root that points outside, without naming the target", async () => {
    symlinkSync(join(outside, "secret.txt"), join(root, "innocent.txt"));
    const err = await toolError(call(filesRead, { path: "innocent.txt" }, ctx), "denied");
    expectNoLeak(err.message);
  });

  it("refuses a file reached through a symlinked parent folder that points outside", async () => {
    symlinkSync(outside, join(root, "docs", "shared"));
    await toolError(call(filesRead, { path: "docs/shared/secret.txt" }, ctx), "denied");
  });

  it("refuses '..' in every spelling before touching the disk", async () => {
    mkdirSync(join(root, "a"));
    const rel = join("..", outside.split("/").at(-1)!, "secret.txt");
    for (const path of [rel, `a/../${rel}`, rel.replaceAll("/", "\\"), `docs/../../x`]) {
      const err = await toolError(call(filesRead, { path }, ctx), "bad_args");
      expectNoLeak(err.message);
    }
  });

  it("treats URL-encoded dots as a literal name that does not exist", async () => {
    await toolError(call(filesRead, { path: "%2e%2e/secret.txt" }, ctx), "not_found");
    await toolError(call(filesRead, { path: "%2e%2e%2fsecret.txt" }, ctx), "not_found");
  });

  it("refuses absolute, UNC and drive paths and NUL bytes", async () => {
    for (const path of [join(outside, "secret.txt"), "//localhost/share/x", "\\\\server\\share\\x", "C:\\secret.txt", "docs/hello.txt\0.png"]) {
      await toolError(call(filesRead, { path }, ctx), "bad_args");
    }
  });

  it("says a missing file does not exist without naming the root", async () => {
    const err = await toolError(call(filesRead, { path: "docs/nope.txt" }, ctx), "not_found");
    expect(err.message).toContain("docs/nope.txt");
    expectNoLeak(err.message);
  });

  it("refuses folders and special files such as a FIFO, without blocking on it", async () => {
    await toolError(call(filesRead, { path: "docs" }, ctx), "bad_args");
    execFileSync("mkfifo", [join(root, "pipe")]);
    await toolError(call(filesRead, { path: "pipe" }, ctx), "bad_args");
  });

  it("refuses the agent's state folder even when a root contains it", async () => {
    mkdirSync(join(root, "state"));
    writeFileSync(join(root, "state", "device.key"), "KEY");
    symlinkSync(join(root, "state", "device.key"), join(root, "docs", "key-link"));
    const guarded = toolContext({ roots: [root], excluded: [join(root, "state")] });
    await toolError(call(filesRead, { path: "state/device.key" }, guarded), "denied");
    await toolError(call(filesRead, { path: "docs/key-link" }, guarded), "denied");
    await toolError(call(filesList, { path: "state" }, guarded), "denied");
    await toolError(call(filesWrite, { path: "state/new", content: "x" }, guarded), "denied");
    expect(existsSync(join(root, "state", "new"))).toBe(false);
  });
});

describe("files.write", () => {
  it("creates a new file and refuses to replace one unless asked", async () => {
    expect(await call(filesWrite, { path: "docs/new.txt", content: "first" }, ctx)).toMatchObject({ bytes: 5, created: true });
    expect(readFileSync(join(root, "docs", "new.txt"), "utf8")).toBe("first");
    await toolError(call(filesWrite, { path: "docs/new.txt", content: "again" }, ctx), "bad_args");
    expect(readFileSync(join(root, "docs", "new.txt"), "utf8")).toBe("first");
  });

  it("overwrites without leaving the old tail, and appends", async () => {
    await call(filesWrite, { path: "docs/hello.txt", content: "bye", mode: "overwrite" }, ctx);
    expect(readFileSync(join(root, "docs", "hello.txt"), "utf8")).toBe("bye");
    await call(filesWrite, { path: "docs/hello.txt", content: "!", mode: "append" }, ctx);
    expect(readFileSync(join(root, "docs", "hello.txt"), "utf8")).toBe("bye!");
  });

  it("writes base64 and refuses malformed base64", async () => {
    await call(filesWrite, { path: "b.bin", content: "AP8B", encoding: "base64" }, ctx);
    expect([...readFileSync(join(root, "b.bin"))]).toEqual([0, 255, 1]);
    await toolError(call(filesWrite, { path: "c.bin", content: "AP8B!!!!", encoding: "base64" }, ctx), "bad_args");
  });

  it("refuses content over the size limit", async () => {
    await toolError(call(filesWrite, { path: "big", content: "é".repeat(WRITE_MAX_BYTES / 2 + 1) }, ctx), "too_large");
    expect(existsSync(join(root, "big"))).toBe(false);
  });

  it("refuses to write through a symlink, even one pointing inside the root", async () => {
    symlinkSync(join(outside, "secret.txt"), join(root, "out.txt"));
    symlinkSync(join(root, "docs", "hello.txt"), join(root, "in.txt"));
    for (const mode of ["create", "overwrite", "append"]) {
      const err = await toolError(call(filesWrite, { path: "out.txt", content: "pwned", mode }, ctx), "denied");
      expectNoLeak(err.message);
      await toolError(call(filesWrite, { path: "in.txt", content: "x", mode }, ctx), "denied");
    }
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
  });

  it("refuses a dangling symlink instead of creating its target outside", async () => {
    symlinkSync(join(outside, "planted.txt"), join(root, "dangling"));
    await toolError(call(filesWrite, { path: "dangling", content: "x", mode: "overwrite" }, ctx), "denied");
    expect(existsSync(join(outside, "planted.txt"))).toBe(false);
  });

  it("refuses a new file in a symlinked parent folder that points outside", async () => {
    symlinkSync(outside, join(root, "docs", "out"));
    await toolError(call(filesWrite, { path: "docs/out/new.txt", content: "x" }, ctx), "denied");
    expect(existsSync(join(outside, "new.txt"))).toBe(false);
  });

  it("refuses a hard link, whose contents may also live outside the root", async () => {
    linkSync(join(outside, "secret.txt"), join(root, "hard.txt"));
    await toolError(call(filesWrite, { path: "hard.txt", content: "pwned", mode: "overwrite" }, ctx), "denied");
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
  });

  it("refuses '..', absolute paths and the root itself, and creates nothing outside", async () => {
    const escapee = `../${outside.split("/").at(-1)!}/escaped.txt`;
    for (const path of [escapee, `docs/../${escapee}`, escapee.replaceAll("/", "\\"), join(outside, "escaped.txt"), ".", "docs/."]) {
      await toolError(call(filesWrite, { path, content: "x" }, ctx), "bad_args");
    }
    await expect(call(filesWrite, { path: "", content: "x" }, ctx)).rejects.toThrow();
    expect(existsSync(join(outside, "escaped.txt"))).toBe(false);
  });

  it("writes '%2e%2e' as a literal file name inside the root", async () => {
    await call(filesWrite, { path: "%2e%2e", content: "x" }, ctx);
    expect(readFileSync(join(root, "%2e%2e"), "utf8")).toBe("x");
  });

  it("refuses a folder as the target and a missing parent folder", async () => {
    await toolError(call(filesWrite, { path: "docs", content: "x", mode: "overwrite" }, ctx), "bad_args");
    await toolError(call(filesWrite, { path: "nope/new.txt", content: "x" }, ctx), "not_found");
  });
});

describe("file tool declarations", () => {
  it("mark list and read MEDIUM, write HIGH, each open to guests only through the shared allowlist", () => {
    expect(filesList).toMatchObject({ name: "files.list", risk: "MEDIUM", guestVisible: true });
    expect(filesRead).toMatchObject({ name: "files.read", risk: "MEDIUM", guestVisible: true });
    expect(filesWrite).toMatchObject({ name: "files.write", risk: "HIGH", guestVisible: true });
  });
});
