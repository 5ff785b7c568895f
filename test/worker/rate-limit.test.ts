/**
 * Registration is rate limited per source address (ORA_REGISTER_LIMIT_PER_HOUR, 20 by default). Every
 * other test registers from an address of its own (see someAddress), so this one owns its count.
 */
import { expect, it } from "vitest";
import { registerFrom, someAddress } from "./relay.js";

const LIMIT = 20;

it("refuses the 21st registration from one address within an hour with 429 rate_limited and Retry-After", async () => {
  const address = someAddress();
  const statuses: number[] = [];
  let refused: Response | undefined;
  for (let i = 0; i <= LIMIT && !refused; i++) {
    const res = await registerFrom(address);
    statuses.push(res.status);
    if (res.status === 429) refused = res;
    else await res.body?.cancel();
  }
  expect(statuses).toEqual([...new Array<number>(LIMIT).fill(201), 429]);
  expect(await refused!.json()).toEqual({ code: "rate_limited", message: expect.any(String) });
  const retryAfter = Number(refused!.headers.get("Retry-After"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(3500);
  expect(retryAfter).toBeLessThanOrEqual(3600);

  // Another address is not held back by this one.
  expect((await registerFrom(someAddress())).status).toBe(201);
});
