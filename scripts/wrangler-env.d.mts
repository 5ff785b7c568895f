export function wranglerEnv(): Record<string, string>;
