/**
 * Model APIs accept function names of [A-Za-z0-9_-]{1,64} only; ORA's tools are named like
 * `notes.add`. Each turn maps its offered tools both ways; a name the model invents that is not in
 * the map is passed through unchanged, so the enforcement point refuses it like any unknown tool.
 */
import type { ToolInfo } from "../safety/index.js";
import type { ToolSpec } from "../llm/types.js";

export interface ToolNames {
  specs: ToolSpec[];
  toReal(modelName: string): string;
}

export function toolNames(tools: ToolInfo[]): ToolNames {
  const byModelName = new Map<string, string>();
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    let name = tool.name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
    for (let n = 2; byModelName.has(name); n++) name = `${name.slice(0, 60)}_${n}`;
    byModelName.set(name, tool.name);
    specs.push({
      name,
      description: `${tool.description} (risk ${tool.risk}${tool.needsApproval ? ", waits for the owner's approval" : ""})`,
      parameters: (tool.parameters ?? { type: "object" }) as Record<string, unknown>,
    });
  }
  return { specs, toReal: (modelName) => byModelName.get(modelName) ?? modelName };
}
