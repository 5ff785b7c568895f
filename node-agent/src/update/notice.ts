/**
 * Telling the owner that a newer agent exists. Each welcome from the relay names the newest release
 * its operator vouches for (and the oldest it accepts); the agent keeps what it last heard in
 * agent-releases.json, which `status` and `doctor` read whether the agent runs or not, and sends each
 * owner device one notification per new version: the file remembers which version was announced, so
 * that reconnecting does not announce it again.
 */
import type { AgentReleases, NotificationBody } from "@ora/protocol";
import type { Profile } from "../config.js";
import type { Logger } from "../log.js";
import { topicOf } from "../notify/events.js";
import type { Delivery, Notifier } from "../notify/notifier.js";
import type { PairedDevices } from "../secure/paired-devices.js";
import { writePrivateJson } from "../state.js";
import { newerAgentLine, newerRelease, newsPath, readReleaseNews, type ReleaseNews } from "./release-news.js";

export { newerAgentLine, newerRelease, readReleaseNews, type ReleaseNews };

/**
 * Keeps what a welcome said. Returns the newer release it names, if any, and whether the owner has
 * yet to hear of that one (the file then records that they have).
 */
export function heardReleases(stateDir: string, releases: AgentReleases, current: string, now = new Date()): { newer: string | null; announce: boolean } {
  const before = readReleaseNewsQuietly(stateDir);
  const news: ReleaseNews = { heardAt: now.toISOString(), latest: releases.agentLatest, minimum: releases.agentMinimum, announced: before?.announced };
  const newer = newerRelease(news, current);
  const announce = newer !== null && newer !== before?.announced;
  if (announce) news.announced = newer;
  writePrivateJson(newsPath(stateDir), news);
  return { newer, announce };
}

/** A damaged file only loses the memory of what was announced; it must not keep the agent from connecting. */
function readReleaseNewsQuietly(stateDir: string): ReleaseNews | null {
  try {
    return readReleaseNews(stateDir);
  } catch {
    return null;
  }
}

const WEEK_SEC = 7 * 86_400;

/** The notification for a newer release: no secret, only two version numbers. */
export function newerAgentNotification(latest: string, current: string, profile: Profile): { body: NotificationBody; delivery: Delivery } {
  return {
    body: {
      title: profile === "shared" ? "ORA (shared)" : "ORA",
      body: `A newer ORA agent is available: ${latest} (your PC has ${current}). Run "ora-agent update" on the PC.`.slice(0, 400),
      url: "/#",
      tag: "agent-update",
    },
    delivery: { ttl: WEEK_SEC, urgency: "low", topic: topicOf("agent-update") },
  };
}

export interface AnnouncerOptions {
  stateDir: string;
  profile: Profile;
  current: string;
  paired: Pick<PairedDevices, "list">;
  notifier: Pick<Notifier, "notify">;
  /** A line for the agent's own terminal. */
  out(line: string): void;
  log: Logger;
}

/**
 * What the agent does with each welcome's releases: the terminal hears of a newer one once per run,
 * every owner device once per version. Never throws: this must not stand between the agent and its relay.
 */
export function releaseAnnouncer(options: AnnouncerOptions): (releases: AgentReleases) => void {
  let told: string | null = null;
  return (releases) => {
    try {
      const { newer, announce } = heardReleases(options.stateDir, releases, options.current);
      if (newer === null) return;
      if (told !== newer) options.out(`ora-agent: ${newerAgentLine(newer, options.current)}`);
      told = newer;
      if (!announce) return;
      const { body, delivery } = newerAgentNotification(newer, options.current, options.profile);
      for (const device of options.paired.list()) if (device.role === "owner") void options.notifier.notify(device.id, body, delivery);
    } catch (error) {
      options.log.warn("could not record the relay's agent releases", { reason: error instanceof Error ? error.message : String(error) });
    }
  };
}
