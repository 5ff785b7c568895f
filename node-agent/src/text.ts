/**
 * The one definition of the control characters the agent keeps away from people and terminals: C0
 * (U+0000–U+001F), DEL and C1 (U+0080–U+009F; U+009B is a CSI that some terminals obey). Text from
 * models, tools, web pages and MCP servers may carry escape sequences meant to rewrite a terminal or
 * hide part of a prompt.
 */
// biome-ignore-all lint/suspicious/noControlCharactersInRegex: matching control characters is this file's purpose

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ALL_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Every control character except tab and line feed, which plain text uses for layout. */
const NON_LAYOUT_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const NON_LAYOUT_RUNS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]+/g;

export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/** For a one-line field (a title, an approval's origin): every control character, tabs and newlines too, becomes a space. */
export function flattenControls(text: string): string {
  return text.replace(ALL_CONTROLS, " ");
}

/** For a terminal: keeps tabs and newlines, and shows every other control character as a visible \uXXXX. */
export function escapeControls(text: string): string {
  return text.replace(NON_LAYOUT_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** For text handed on (an MCP tool's output): keeps tabs and newlines, and turns each run of other control characters into a space. */
export function blankControls(text: string): string {
  return text.replace(NON_LAYOUT_RUNS, " ");
}
