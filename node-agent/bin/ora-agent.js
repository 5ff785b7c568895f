#!/usr/bin/env node
// The committed entry point: npm links this file at install time; the CLI itself is built into dist/.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
