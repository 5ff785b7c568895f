/**
 * The standing rules this device may see (owners: all; a sub-admin: the ones it made), each with what
 * it allows, until when, how often it was used, and Revoke.
 */
import type { Rule } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { explain } from "./errors.js";

export interface RulesSection {
  element: HTMLElement;
  refresh(): Promise<void>;
}

export function rulesSection(connection: Connection, deviceName: (id: string) => string): RulesSection {
  const list = h("ul", { class: "rules" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const element = h(
    "section",
    { class: "card rules-card", "aria-labelledby": "rules-title" },
    h("h3", { id: "rules-title" }, "Always allowed"),
    h("p", { class: "muted" }, "Calls these rules cover run without asking until the rule ends or is revoked."),
    status,
    list,
  );

  async function refresh(): Promise<void> {
    try {
      const { rules } = await connection.request("rules.list", {});
      status.textContent = "";
      if (rules.length === 0) clear(list, h("li", { class: "empty" }, "No rules."));
      else clear(list, ...rules.map(item));
    } catch (error) {
      status.textContent = explain(error);
    }
  }

  function item(rule: Rule): HTMLElement {
    const who = rule.requester.via === "local" ? "the PC's command line" : deviceName(rule.requester.device);
    const revoke = h("button", { type: "button", class: "revoke-rule", "aria-label": `Revoke rule ${rule.id}` }, "Revoke");
    revoke.addEventListener("click", async () => {
      revoke.disabled = true;
      try {
        await connection.request("rules.revoke", { id: rule.id });
        await refresh();
      } catch (error) {
        status.textContent = explain(error);
        revoke.disabled = false;
      }
    });
    return h(
      "li",
      { class: "rule", "data-id": rule.id },
      h("code", {}, rule.tool),
      ` for ${who} (${rule.requester.role}) ${scopeWords(rule.scope)}, until ${new Date(rule.expiresAt).toLocaleString()}; `,
      rule.uses === 0 ? "not used yet " : `used ${rule.uses}× `,
      revoke,
    );
  }

  return { element, refresh };
}

function scopeWords(scope: Rule["scope"]): string {
  if ("path" in scope) return scope.path === "" ? `anywhere in ${scope.root}` : `inside ${scope.root}/${scope.path}/`;
  if ("host" in scope) return `on ${scope.host}`;
  return "with exactly the approved arguments";
}
