/**
 * What a method is: its params, what it may stream, its result, who may call it. The catalogue
 * (index.ts) holds one entry per method; the agent's handler registry, the typed client and the docs
 * test all read it, so a method's shape exists in exactly one place.
 */
import type * as z from "zod/mini";
import type { Role } from "../frames.js";

export interface MethodSpec {
  /** One line for people: what the method does. */
  description: string;
  /** The roles whose devices may call it; the agent refuses anyone else with `forbidden`. */
  roles: readonly Role[];
  params: z.ZodMiniType;
  /** Present when the method streams chunks before its result. */
  chunk?: z.ZodMiniType;
  result: z.ZodMiniType;
}

export interface EventSpec {
  description: string;
  data: z.ZodMiniType;
}

export const EVERYONE = ["owner", "sub-admin", "guest"] as const satisfies readonly Role[];
export const DECIDERS = ["owner", "sub-admin"] as const satisfies readonly Role[];
export const OWNERS = ["owner"] as const satisfies readonly Role[];

/** Keeps a spec's literal types (so each method's schemas stay precise) while checking its shape. */
export function method<const S extends MethodSpec>(spec: S): S {
  return spec;
}
