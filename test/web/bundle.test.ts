/**
 * The web build's shape (web/build.mjs, web/bundle-report.mjs): one copy of each npm package, the page
 * loads only what the chat needs at start, the rest loads later, and the service worker precaches
 * every script. Reads web/dist as the last `node web/build.mjs` left it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EVENTS, METHODS } from "@ora/protocol";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the build, without type declarations
import { duplicatePackages, packageOf } from "../../web/bundle-report.mjs";

const root = join(import.meta.dirname, "../..");
const dist = join(root, "web/dist");
const report = JSON.parse(readFileSync(join(root, "web/dist-report.json"), "utf8")) as {
  entry: string;
  initial: string[];
  lazy: string[];
  initialPackages: Record<string, number>;
  lazyPackages: Record<string, number>;
};
const text = (name: string) => readFileSync(join(dist, name), "utf8");

function metafile(inputs: string[]) {
  return { inputs: {}, outputs: { "out.js": { inputs: Object.fromEntries(inputs.map((input) => [input, { bytesInOutput: 10 }])), imports: [] } } };
}

describe("the web bundle", () => {
  it("names the npm package of a bundled file, scoped or not", () => {
    expect(packageOf("node_modules/zod/v4/core/core.js")).toEqual({ name: "zod", root: "node_modules/zod" });
    expect(packageOf("protocol/node_modules/@noble/curves/ed25519.js")).toEqual({ name: "@noble/curves", root: "protocol/node_modules/@noble/curves" });
    expect(packageOf("web/src/app.ts")).toBeNull();
  });

  it("finds a package bundled from two folders, and only then", () => {
    const twice = metafile(["node_modules/zod/v4/core/core.js", "protocol/node_modules/zod/v4/core/core.js", "node_modules/marked/lib/marked.esm.js"]);
    expect(duplicatePackages(twice, root)).toEqual([
      { name: "zod", copies: [expect.stringMatching(/ at node_modules\/zod$/), expect.stringMatching(/ at protocol\/node_modules\/zod$/)] },
    ]);
    expect(duplicatePackages(metafile(["node_modules/zod/v4/core/core.js", "node_modules/zod/v4/mini/schemas.js"]), root)).toEqual([]);
    // A file esbuild read but tree-shook away adds nothing to the page.
    const shaken = metafile(["node_modules/zod/v4/core/core.js"]);
    (shaken.outputs["out.js"].inputs as Record<string, { bytesInOutput: number }>)["protocol/node_modules/zod/index.js"] = { bytesInOutput: 0 };
    expect(duplicatePackages(shaken, root)).toEqual([]);
  });

  it("loads only the start's scripts from index.html, and pairing, passkeys and Markdown later", () => {
    const page = text("index.html");
    const loaded = [...page.matchAll(/<(?:script type="module" src|link rel="modulepreload" href)="\/([^"]+)"/g)].map((m) => m[1]);
    expect(loaded.sort()).toEqual([...report.initial].sort());
    expect(report.initial).toContain(report.entry);
    for (const lazy of ["marked", "dompurify", "@scure/bip39", "@simplewebauthn/browser"]) {
      expect(report.initialPackages).not.toHaveProperty(lazy);
      expect(report.lazyPackages).toHaveProperty(lazy);
    }
    const start = report.initial.map(text).join("\n");
    const wordList = "abandon\nability\nable"; // the start of the BIP-39 word list
    expect(start).not.toContain(wordList);
    expect(report.lazy.filter((name) => text(name).includes(wordList))).toHaveLength(1);
    // zod/mini in the browser carries no locale: messages are the agent's and relay's business.
    expect(readdirSync(dist).filter((name) => name.endsWith(".js") && text(name).includes("Too big: expected"))).toEqual([]);
  });

  it("leaves the method catalogue's descriptions for people out of the page", () => {
    const scripts = readdirSync(dist)
      .filter((name) => name.endsWith(".js"))
      .map(text)
      .join("\n");
    const descriptions = [...Object.values(METHODS), ...Object.values(EVENTS)].map((spec) => spec.description);
    expect(descriptions.length).toBeGreaterThan(40);
    expect(descriptions.filter((description) => scripts.includes(description.slice(0, 40)))).toEqual([]);
    expect(scripts).toContain("passkeys.remove"); // the catalogue itself is there
  });

  it("precaches every script chunk in the service worker", () => {
    const scripts = readdirSync(dist).filter((name) => name.endsWith(".js") && name !== "sw.js");
    expect(scripts.sort()).toEqual([...report.initial, ...report.lazy].sort());
    const worker = text("sw.js");
    for (const name of scripts) expect(worker).toContain(`"/${name}"`);
  });
});
