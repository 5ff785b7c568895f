#!/usr/bin/env node
/**
 * Builds the web client into web/dist, which the relay serves as Workers static assets
 * (wrangler.toml [assets]): the app bundled with the protocol library by esbuild, split into hashed
 * chunks (what loads by `import()` — pairing, passkeys, Markdown — comes after start), index.html
 * loading the entry and preloading its static imports, the service worker with the list of shell files
 * (every chunk), the manifest, icons (PNG drawn here, so no binary lives in the repository) and the
 * _headers file. Prints each script's size and the initial and total JS, raw and gzipped, and writes
 * them to web/dist-report.json (docs/BENCH.md records them); refuses a bundle holding one npm package
 * twice. ORA_METAFILE=<file> also saves esbuild's metafile, to see what each chunk holds.
 */
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { bundleReport, duplicatePackages, sizeOf } from "./bundle-report.mjs";

const web = dirname(fileURLToPath(import.meta.url));
const dist = join(web, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

/**
 * The method catalogue's one-line descriptions are for people reading the catalogue (and the docs
 * test), never read in the browser: the build leaves them out of the page (about 4 KiB). Every
 * `description:` with a string literal in protocol/dist/methods goes; a schema field of that name
 * (`description: z.string()`) stays.
 */
const withoutMethodDescriptions = {
  name: "without-method-descriptions",
  setup(b) {
    b.onLoad({ filter: /[\\/]protocol[\\/]dist[\\/]methods[\\/][^\\/]+\.js$/ }, ({ path }) => ({
      contents: readFileSync(path, "utf8").replace(/^\s*description: (?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'),\n/gm, ""),
      loader: "js",
    }));
  },
};

const app = await build({
  plugins: [withoutMethodDescriptions],
  define: { CLIENT_VERSION: JSON.stringify(JSON.parse(readFileSync(join(web, "../node-agent/package.json"), "utf8")).version) },
  entryPoints: { app: join(web, "src/main.ts"), style: join(web, "src/style.css") },
  outdir: dist,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  minify: true,
  format: "esm",
  target: "es2022",
  sourcemap: "linked",
  metafile: true,
  // Module scripts are always read as UTF-8: Japanese text stays 3 bytes a character, not a 6-byte \u escape.
  charset: "utf8",
  legalComments: "none",
  logLevel: "warning",
});
if (process.env.ORA_METAFILE) writeFileSync(process.env.ORA_METAFILE, JSON.stringify(app.metafile));
const duplicates = duplicatePackages(app.metafile, web);
if (duplicates.length) {
  for (const { name, copies } of duplicates) process.stderr.write(`web bundle: ${name} appears ${copies.length} times: ${copies.join(", ")}\n`);
  process.exit(1);
}
const report = bundleReport(app.metafile, web);
const script = report.entry;
const style = Object.keys(app.metafile.outputs)
  .map((path) => basename(path))
  .find((name) => /^style-.*\.css$/.test(name));

// The entry's static imports are fetched at once (modulepreload) instead of after the entry is parsed.
const preloads = report.initial
  .filter((name) => name !== script)
  .map((name) => `<link rel="modulepreload" href="/${name}">\n`)
  .join("");
const page = readFileSync(join(web, "static/index.html"), "utf8").replace("%STYLE%", style);
writeFileSync(
  join(dist, "index.html"),
  page.replace(/<script type="module" src="\/%SCRIPT%"><\/script>/, `${preloads}<script type="module" src="/${script}"></script>`),
);
for (const file of ["manifest.webmanifest", "icon.svg", "_headers"]) copyFileSync(join(web, "static", file), join(dist, file));
for (const size of [192, 512]) writeFileSync(join(dist, `icon-${size}.png`), icon(size));

// Every chunk is precached, the lazy ones too: a feature first opened offline still loads.
const scripts = [...report.initial, ...report.lazy];
const shell = ["/", ...scripts.map((name) => `/${name}`), `/${style}`, "/manifest.webmanifest", "/icon.svg", "/icon-192.png", "/icon-512.png"];
await build({
  entryPoints: [join(web, "src/sw.ts")],
  outfile: join(dist, "sw.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  define: { SHELL: JSON.stringify(shell), VERSION: JSON.stringify(createHash("sha256").update(shell.join("\n")).digest("hex").slice(0, 12)) },
  logLevel: "warning",
});

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const line = (label, { raw, gzip }) => process.stdout.write(`${label.padEnd(34)} ${kb(raw).padStart(10)}  (${kb(gzip)} gzip)\n`);
for (const name of scripts) line(`web/dist/${name}${report.initial.includes(name) ? "" : " (lazy)"}`, report.sizes[name]);
line(`web/dist/${style}`, sizeOf(join(dist, style)));
line("initial JS (index.html + imports)", report.initialSize);
line("all JS", report.totalSize);
writeFileSync(join(web, "dist-report.json"), `${JSON.stringify(report, null, 2)}\n`);

/** The app icon: a light ring on the brand colour, anti-aliased, as a PNG (RGBA, no filter). */
function icon(size) {
  const pixels = Buffer.alloc(size * (size * 4 + 1));
  const c = size / 2;
  const ring = { r: size * 0.293, half: size * 0.055 };
  const corner = size * 0.1875;
  for (let y = 0; y < size; y++) {
    pixels[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      // Rounded-square mask: distance outside the inner rectangle, compared with the corner radius.
      const dx = Math.max(corner - px, 0, px - (size - corner));
      const dy = Math.max(corner - py, 0, py - (size - corner));
      const inside = clamp(corner - Math.hypot(dx, dy) + 0.5);
      const onRing = clamp(ring.half - Math.abs(Math.hypot(px - c, py - c) - ring.r) + 0.5);
      const mix = (a, b) => Math.round(a + (b - a) * onRing);
      const at = y * (size * 4 + 1) + 1 + x * 4;
      pixels[at] = mix(0x1d, 0xf1);
      pixels[at + 1] = mix(0x35, 0xfa);
      pixels[at + 2] = mix(0x57, 0xee);
      pixels[at + 3] = Math.round(255 * inside);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter method extras, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function clamp(v) {
  return Math.min(1, Math.max(0, v));
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
