/**
 * Files between paired devices and this PC (protocol/src/methods/files.ts): downloads from the
 * shared folders and uploads into them, registered on the agent's handlers together with the
 * `files.upload` tool that places an upload through the enforcement point.
 */
import { FINAL_TASK_STATES } from "@ora/protocol";
import type { HandlerRegistry } from "../handlers.js";
import type { Safety } from "../safety/index.js";
import type { ToolConfig } from "../safety/tool.js";
import { fileUploadTool } from "../tools/upload.js";
import { Downloads } from "./download.js";
import { fileSettings } from "./settings.js";
import { Staging } from "./staging.js";
import { Uploads } from "./uploads.js";

export function registerFileMethods(handlers: HandlerRegistry, safety: Safety, config: ToolConfig, env: NodeJS.ProcessEnv): { close(): void } {
  const settings = fileSettings(env);
  const final = (state: string) => (FINAL_TASK_STATES as readonly string[]).includes(state);
  const staging = new Staging(safety.stateDir, (id) => {
    const task = safety.tasks.get(id);
    return task === undefined || final(task.state);
  });
  safety.register(fileUploadTool(staging));
  // The staged file waits for its task, and goes when the task ends however it ends.
  safety.tasks.onChange((task) => {
    if (task.tool !== "files.upload" || !final(task.state)) return;
    for (const upload of staging.list()) if (upload.task === task.id) staging.remove(upload.id);
  });
  staging.sweep();
  const downloads = new Downloads(safety, config, settings.maxBytes, settings.downloadIdleMs);
  const uploads = new Uploads(safety, config, settings, staging);
  handlers
    .register("files.download", (params, { requester }) => downloads.piece(params, requester))
    .register("files.upload.begin", (params, { requester }) => uploads.begin(params, requester))
    .register("files.upload.piece", (params, { requester }) => uploads.piece(params, requester))
    .register("files.upload.finish", (params, context) => uploads.finish(params, context))
    .register("files.upload.cancel", (params, { requester }) => uploads.cancel(params, requester));
  return { close: () => staging.close() };
}
