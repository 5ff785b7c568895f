/**
 * Whether a requester may move files at all, asked of the enforcement point's own table (policy.ts)
 * about the file tool the transfer stands for: a download is a `files.read` that must run without an
 * approval, an upload a `files.write` (which always waits for one). Nothing here decides on its own.
 */
import { HandlerError } from "../handlers.js";
import type { Safety } from "../safety/index.js";
import { judge } from "../safety/policy.js";
import type { Requester } from "../safety/tool.js";

export function allowFileTool(safety: Safety, requester: Requester, tool: "files.read" | "files.write"): void {
  const verdict = judge(requester, safety.findTool(tool), safety.policy);
  if (verdict.kind === "refuse") {
    // A guest hears not_found for what it may not use, so that the refusal does not show what exists.
    throw new HandlerError(verdict.code, verdict.code === "not_found" ? "files are not shared with this device" : verdict.message);
  }
  if (tool === "files.read" && verdict.kind !== "run") throw new HandlerError("denied", "reading files needs an approval here, so they cannot be downloaded");
  if (verdict.kind === "approve" && safety.lockdown.active()) {
    throw new HandlerError("locked_down", "this PC is in lockdown: files cannot be sent to it until the owner unlocks it at the PC (ora-agent unlock)");
  }
}
