/**
 * What the agent last heard of agent releases (agent-releases.json), as `status` and `doctor` read
 * it whether the agent runs or not. Kept apart from notice.ts, which notifies devices, so that those
 * commands load neither the notification nor the protocol's catalogue.
 */
import { join } from "node:path";
import { AgentVersion, compareAgentVersions } from "@ora/protocol/agent-version";
import * as z from "zod/mini";
import { readJson } from "../state.js";

const ReleaseNews = z.object({
  /** When the relay last said it. */
  heardAt: z.string(),
  latest: z.optional(AgentVersion),
  minimum: z.optional(AgentVersion),
  /** The newer version the owner's devices were told about. */
  announced: z.optional(AgentVersion),
});
export type ReleaseNews = z.infer<typeof ReleaseNews>;

export const newsPath = (stateDir: string) => join(stateDir, "agent-releases.json");

export const readReleaseNews = (stateDir: string) => readJson(newsPath(stateDir), ReleaseNews);

/** The newer release the relay last named, or null when this agent is as new (or nothing was heard). */
export function newerRelease(news: ReleaseNews | null, current: string): string | null {
  const latest = news?.latest;
  return latest !== undefined && compareAgentVersions(latest, current) > 0 ? latest : null;
}

/** The one sentence every place that tells of a newer agent uses. */
export function newerAgentLine(latest: string, current: string): string {
  return `a newer agent is available: ${latest} (you have ${current}); run ora-agent update`;
}
