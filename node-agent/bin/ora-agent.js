#!/usr/bin/env node
// The committed entry point: npm links this file at install time; the CLI itself is built into dist/.
// The agent's SQLite binding needs Node 22 (on older Node it would crash, not fail): say so plainly.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `ora-agent needs Node.js 22 or newer; this is ${process.versions.node}.\n` +
      `From the project, "npx ora-agent …" uses the Node 22 that npm installed; otherwise install Node 22.\n`,
  );
  process.exit(2);
}
const { main } = await import("../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
