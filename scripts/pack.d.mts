export const CLIENT_LIBRARY: string;
export function userNpmEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function packPackages(outDir?: string): { agent: string; protocol: string };
