/** The version this app was built as (web/build.mjs defines it; tests that import sources see "dev"). */
declare const CLIENT_VERSION: string | undefined;

export const clientVersion: string = typeof CLIENT_VERSION === "string" ? CLIENT_VERSION : "dev";
