export interface Metafile {
  outputs: Record<string, { bytes?: number; inputs: Record<string, { bytesInOutput: number }>; imports?: unknown[]; entryPoint?: string }>;
}
export function sizeOf(path: string): { raw: number; gzip: number };
export function packageOf(input: string): { name: string; root: string } | null;
export function duplicatePackages(metafile: Metafile, base?: string): { name: string; copies: string[] }[];
