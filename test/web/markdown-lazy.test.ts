/**
 * Markdown loads after start (web/src/markdown.ts): until the renderer arrives a message shows as plain
 * text, never as HTML, and it becomes rendered Markdown the moment the renderer is there. The module is
 * bundled as the app is (esbuild, code splitting) and served from 127.0.0.1; the renderer's chunk is
 * held back until the test lets it through.
 */
import { build } from "esbuild";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, phone, type TestPage } from "./browser.js";

const web = join(import.meta.dirname, "../../web");

describe("Markdown after start", () => {
  let server: Server;
  let origin: string;
  let renderChunk: string;
  let browser: Browser;
  let tab: TestPage;

  beforeAll(async () => {
    const entry = `import { markdownReady, renderMarkdown } from ${JSON.stringify(join(web, "src/markdown.ts"))};\nObject.assign(window, { markdownReady, renderMarkdown });\n`;
    const out = await build({
      stdin: { contents: entry, resolveDir: web, loader: "ts" },
      bundle: true,
      splitting: true,
      format: "esm",
      outdir: "/out",
      entryNames: "entry",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const files = new Map(out.outputFiles.map((file) => [`/${file.path.split("/").pop()}`, file.text]));
    renderChunk = `/${Object.entries(out.metafile.outputs)
      .find(([, output]) => Object.keys(output.inputs).some((input) => input.endsWith("markdown/render.ts")))![0]
      .split("/")
      .pop()}`;
    files.set("/", '<!doctype html><html lang="en"><title>md</title><script type="module" src="/entry.js"></script><body></body></html>');
    server = createServer((req, res) => {
      const body = files.get(req.url ?? "");
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": req.url === "/" ? "text/html" : "text/javascript" }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    tab = await phone(browser);
  });
  afterAll(async () => {
    await tab?.context.close();
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("shows plain text until the renderer loads, then the rendered Markdown in its place", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await tab.page.route(`${origin}${renderChunk}`, async (route) => (await held, route.continue()));
    await tab.page.goto(origin);
    await tab.page.waitForFunction(() => "renderMarkdown" in window);
    const source = "**bold** and <img src=x onerror=alert(1)>";
    const before = await tab.page.evaluate((text) => {
      const render = (window as unknown as { renderMarkdown: (t: string) => DocumentFragment }).renderMarkdown;
      const shown = document.createElement("div");
      shown.id = "shown";
      shown.appendChild(render(text));
      document.body.appendChild(shown);
      // A bubble redrawn before the renderer came: its old fragment is gone and must stay gone.
      const redrawn = document.createElement("div");
      redrawn.id = "redrawn";
      redrawn.appendChild(render("old **text**"));
      redrawn.replaceChildren(render("new **text**"));
      document.body.appendChild(redrawn);
      return { html: shown.innerHTML, text: shown.textContent };
    }, source);
    expect(before.text).toBe(source);
    expect(before.html).not.toContain("<img");
    expect(before.html).not.toContain("<strong>");

    release();
    await tab.page.evaluate(() => (window as unknown as { markdownReady: Promise<void> }).markdownReady);
    expect(await tab.page.locator("#shown strong").innerText()).toBe("bold");
    expect(await tab.page.locator("#shown img").count()).toBe(0);
    expect(await tab.page.locator("#redrawn").innerText()).toBe("new text");
    // Once loaded, rendering is immediate.
    expect(
      await tab.page.evaluate(
        () => (window as unknown as { renderMarkdown: (t: string) => DocumentFragment }).renderMarkdown("*x*").firstElementChild?.innerHTML,
      ),
    ).toBe("<em>x</em>");
    expect(tab.errors).toEqual([]);
  });
});
