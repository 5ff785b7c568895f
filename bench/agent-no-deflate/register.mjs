/**
 * Bench switch for the real agent process: `node --import bench/agent-no-deflate/register.mjs
 * node-agent/bin/ora-agent.js start …` runs the unchanged agent, except that its `ws` client does not
 * offer permessage-deflate. Used for the bench's "no compression" wire mode so that every socket of
 * every target is uncompressed; see docs/BENCH.md. Only the specifier "ws" imported from outside
 * bench/ is redirected (to ./ws.mjs); nothing else changes.
 */
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
