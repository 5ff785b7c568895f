/**
 * The scope matchers of standing rules, against real folders: a folder scope matches exactly the
 * calls whose real path lies at or below its real folder, a host scope exactly one host and port.
 */
import fc from "fast-check";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  callSubject,
  normaliseHost,
  pathScope,
  ScopeError,
  scopeKindOf,
  scopeMatches,
  urlHost,
  type StoredScope,
} from "../../node-agent/src/safety/rule-scopes.js";
import { within } from "../../node-agent/src/safety/tool-config.js";
import type { ToolConfig } from "../../node-agent/src/safety/tool.js";
import { DEFAULT_TOOL_LIMITS } from "../../node-agent/src/safety/tool-config.js";
import { tempDir } from "../tools/context.js";

let root: string;
let config: ToolConfig;
let notes: StoredScope;

const matches = async (path: unknown, scope = notes, tool = "files.write") =>
  scopeMatches(scope, await callSubject(tool, { root: 0, path, content: "x" }, "h", config));

beforeEach(async () => {
  root = tempDir("ora-rule-root-");
  const outside = tempDir("ora-rule-outside-");
  mkdirSync(join(root, "notes", "deep"), { recursive: true });
  mkdirSync(join(root, "notes2"));
  mkdirSync(join(root, "secret"));
  writeFileSync(join(root, "secret.txt"), "s");
  writeFileSync(join(root, "notes", "a.txt"), "a");
  symlinkSync(join(root, "secret"), join(root, "notes", "to-secret"));
  symlinkSync(outside, join(root, "notes", "to-outside"));
  symlinkSync(join(root, "secret.txt"), join(root, "notes", "secret-link.txt"));
  config = { roots: [root], excluded: [], ...DEFAULT_TOOL_LIMITS };
  notes = await pathScope("notes/", { root: 0, path: "notes/a.txt" }, config);
});

describe("folder scopes", () => {
  it("normalises the chosen folder as the tool resolves paths", async () => {
    expect(notes).toEqual({ kind: "path", root, path: "notes" });
    for (const spelling of ["notes", "./notes", "notes//", "notes/./", "notes\\"]) {
      expect(await pathScope(spelling, {}, config)).toEqual(notes);
    }
    expect(await pathScope("", {}, config)).toEqual({ kind: "path", root, path: "" });
  });

  it("stores a symlinked folder as its real folder inside the root", async () => {
    expect(await pathScope("notes/to-secret", {}, config)).toEqual({ kind: "path", root, path: "secret" });
  });

  it("refuses folders that escape, do not exist, or lead outside the root", async () => {
    for (const bad of ["notes/..", "../x", "/etc", "C:/x", "missing", "notes/to-outside", "notes\u0000"]) {
      await expect(pathScope(bad, {}, config), bad).rejects.toBeInstanceOf(ScopeError);
    }
  });

  it("matches files at or below the folder, new files included", async () => {
    for (const path of ["notes/a.txt", "notes/new.txt", "notes/deep/b.txt", "./notes//a.txt", "notes\\new.txt"]) {
      expect(await matches(path), path).toBe(true);
    }
  });

  it("does not match paths whose real place is outside the folder", async () => {
    for (const path of [
      "notes/../secret.txt",
      "notes2/x",
      "notes2",
      "./notes/../../x",
      "notes/to-secret/x.txt",
      "notes/to-outside/x.txt",
      "notes/secret-link.txt",
      "secret.txt",
      `${root}/notes/a.txt`,
      "/notes/a.txt",
      "notes%2Fa.txt",
      "notes%2F..%2Fsecret.txt",
      "notes/missing/x.txt",
      "",
      42,
      undefined,
    ]) {
      expect(await matches(path), String(path)).toBe(false);
    }
  });

  it("does not match a call that names another shared folder", async () => {
    const other = tempDir("ora-rule-other-");
    mkdirSync(join(other, "notes"));
    config = { ...config, roots: [root, other] };
    expect(scopeMatches(notes, await callSubject("files.write", { root: 1, path: "notes/a.txt" }, "h", config))).toBe(false);
  });

  it("never matches a path whose resolved target lies outside the folder (property)", async () => {
    const segment = fc.constantFrom("notes", "notes2", "deep", "..", ".", "", "a.txt", "to-secret", "to-outside", "secret", "secret.txt", "%2e%2e", "x");
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 6 }), fc.constantFrom("/", "\\", "//"), async (segments, sep) => {
        const path = segments.join(sep);
        const subject = await callSubject("files.write", { root: 0, path }, "h", config);
        const folder = join(root, "notes");
        if (scopeMatches(notes, subject)) {
          expect(subject.target !== undefined && within(subject.target, folder), path).toBe(true);
          expect(relative(folder, subject.target!).startsWith(".."), path).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("host scopes", () => {
  it("normalises hosts: lower case, punycode, default ports left out", () => {
    expect(normaliseHost("Example.COM")).toBe("example.com");
    expect(normaliseHost("bücher.example")).toBe("xn--bcher-kva.example");
    expect(normaliseHost("example.com:8443")).toBe("example.com:8443");
    expect(normaliseHost("example.com:80")).toBe("example.com");
    expect(normaliseHost("[::1]:8080")).toBe("[::1]:8080");
  });

  it("refuses what is not a host", () => {
    for (const bad of ["", "*.example.com", "https://example.com", "example.com/x", "user@example.com", "exa mple.com", "example.com:99999"]) {
      expect(() => normaliseHost(bad), bad).toThrow(ScopeError);
    }
  });

  it("matches one host and port exactly, never a subdomain or a look-alike", () => {
    const scope: StoredScope = { kind: "host", host: normaliseHost("example.com") };
    const ok = (url: string) => scopeMatches(scope, { argsHash: "h", ...(urlHost(url) === undefined ? {} : { host: urlHost(url)! }) });
    expect(ok("https://example.com/a")).toBe(true);
    expect(ok("http://EXAMPLE.com:80/a")).toBe(true);
    expect(ok("https://example.com:443/")).toBe(true);
    for (const url of [
      "https://www.example.com/",
      "https://example.com.evil.net/",
      "https://evil.net/?example.com",
      "https://example.com@evil.net/",
      "https://example.com:8443/",
      "http://example.com:443/",
      "https://example.com./",
      "https://exämple.com/",
      "ftp://example.com/",
      "not a url",
    ]) {
      expect(ok(url), url).toBe(false);
    }
  });

  it("matches an internationalised host written either way", () => {
    const scope: StoredScope = { kind: "host", host: normaliseHost("bücher.example") };
    expect(scopeMatches(scope, { argsHash: "h", host: urlHost("https://BÜCHER.example/")! })).toBe(true);
    expect(scopeMatches(scope, { argsHash: "h", host: urlHost("https://xn--bcher-kva.example/")! })).toBe(true);
  });
});

describe("argument scopes", () => {
  it("gives file tools folder scopes, web.fetch host scopes and every other tool exact arguments", () => {
    expect(scopeKindOf("files.write")).toBe("path");
    expect(scopeKindOf("web.fetch")).toBe("host");
    expect(scopeKindOf("run.program")).toBe("args");
    expect(scopeKindOf("files.writex")).toBe("args");
  });

  it("matches only the same canonical arguments hash", () => {
    const scope: StoredScope = { kind: "args", argsHash: "abc" };
    expect(scopeMatches(scope, { argsHash: "abc" })).toBe(true);
    expect(scopeMatches(scope, { argsHash: "abd" })).toBe(false);
  });
});
