import type { Metafile } from "./bundle-packages.mjs";

export const WORKER_BUNDLE_LIMIT: number;
export interface WorkerBundle {
  metafile: Metafile;
  size: { raw: number; gzip: number };
  packages: Record<string, number>;
  out: string;
}
export function buildWorkerBundle(): Promise<WorkerBundle>;
export function workerBundleProblems(bundle: Pick<WorkerBundle, "metafile" | "size">, limit?: number): string[];
