/** Keeping the agent running: one service per profile, in the user's own service manager. */
import { launchdTarget } from "./launchd.js";
import type { ServiceOs, ServiceTarget } from "./spec.js";
import { systemdTarget } from "./systemd.js";
import { windowsTarget } from "./windows.js";

export const SERVICE_TARGETS: Record<ServiceOs, ServiceTarget> = { linux: systemdTarget, macos: launchdTarget, windows: windowsTarget };

export { envFilePath, envNames, pickEnv, renderEnvFile, writeEnvFile } from "./env-file.js";
export { launchdPlist } from "./launchd.js";
export { commandLine, systemRunner, type Runner, type RunResult, type Step } from "./runner.js";
export {
  argAfter,
  nodeMajor,
  programArgs,
  serviceName,
  serviceOs,
  thisHost,
  SERVICE_OSES,
  type ServiceHost,
  type ServiceId,
  type ServiceOs,
  type ServiceSpec,
  type ServiceState,
  type ServiceTarget,
} from "./spec.js";
export { NO_RESTART_EXIT_CODES, splitExec, systemdUnit } from "./systemd.js";
export { taskName, taskXml } from "./windows.js";
