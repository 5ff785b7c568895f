/**
 * What the relay says about itself in a handshake: the protocol versions it speaks, its limits and
 * the agent releases its operator vouches for.
 */
import { agentVersionOf, compareAgentVersions, isAgentVersion, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, type AgentReleases, type Limits } from "@ora/protocol";

/** Why a hello or pairing handshake's version is refused, or null when the relay speaks it. */
export function versionProblem(version: number): string | null {
  if (version >= MIN_PROTOCOL_VERSION && version <= PROTOCOL_VERSION) return null;
  return `protocol version ${version} is not supported; this relay speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`;
}

/**
 * The limits a welcome announces, field by field: the relay's configuration holds more (deadlines,
 * rate limits) than peers may see, and a setting added there must not reach them unless listed here.
 */
export function announcedLimits(config: Limits): Limits {
  return {
    maxPending: config.maxPending,
    maxPendingPerSession: config.maxPendingPerSession,
    timeoutSec: config.timeoutSec,
    streamMaxSec: config.streamMaxSec,
    maxMessageBytes: config.maxMessageBytes,
    windowBytes: config.windowBytes,
    streamWindowBytes: config.streamWindowBytes,
  };
}

/**
 * Why an agent's hello is refused for its release, or null when it may connect. With a minimum set,
 * an agent that names no ora-agent version is refused too: the relay cannot tell it is safe.
 */
export function agentReleaseProblem(agent: string | undefined, releases: AgentReleases): string | null {
  const minimum = releases.agentMinimum;
  if (minimum === undefined) return null;
  const version = agentVersionOf(agent);
  if (version !== null && compareAgentVersions(version, minimum) >= 0) return null;
  const install = releases.agentLatest ?? minimum;
  const have = version === null ? "an agent that does not name its version" : `ora-agent ${version}`;
  // An err frame's message holds 200 characters; the frame's own fields carry the versions in full.
  return `this relay accepts ora-agent ${minimum} or newer, not ${have}; install ora-agent ${install} (ora-agent update)`.slice(0, 200);
}

/**
 * The releases from the settings ORA_AGENT_LATEST and ORA_AGENT_MINIMUM, each only when it is a
 * version. A bad value is left out rather than taking the relay down (and a minimum nobody could meet
 * would lock every Node out); a latest below the minimum is raised to it, so that the version a
 * refused agent is told to install is one the relay accepts.
 */
export function agentReleases(latestSetting: string | undefined, minimumSetting: string | undefined): AgentReleases {
  const read = (name: string, setting: string | undefined) => {
    const value = setting?.trim();
    if (!value) return undefined;
    if (isAgentVersion(value)) return value;
    console.error(`${name} is not a MAJOR.MINOR.PATCH version; ignored`);
    return undefined;
  };
  const latest = read("ORA_AGENT_LATEST", latestSetting);
  const minimum = read("ORA_AGENT_MINIMUM", minimumSetting);
  const raised = minimum !== undefined && (latest === undefined || compareAgentVersions(latest, minimum) < 0) ? minimum : latest;
  return { ...(raised === undefined ? {} : { agentLatest: raised }), ...(minimum === undefined ? {} : { agentMinimum: minimum }) };
}
