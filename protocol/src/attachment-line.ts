/**
 * The line that names an attached file in a chat message: the web app writes it under the message,
 * the secretary reads it (in English, like its tools: the path and the shared folder are what
 * files.read takes), the chat shows it as the file's name and size, and a conversation that starts
 * with files alone is titled with their names. Small on purpose: the chat's bubbles load it at start.
 */
const LINE = /^Attached file: "(.+)" in the shared folder "(.*)" \(([^()]+)\)$/;

export interface Reference {
  root: string;
  path: string;
  /** As the line says it ("2.3 MB"). */
  size: string;
}

export function referenceLine(file: { root: string; path: string; size: number }): string {
  return `Attached file: "${file.path}" in the shared folder "${file.root}" (${englishSize(file.size)})`;
}

export function parseReference(line: string): Reference | undefined {
  const match = LINE.exec(line);
  return match ? { path: match[1]!, root: match[2]!, size: match[3]! } : undefined;
}

function englishSize(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** The text with each attachment line replaced by its file's name: what a title is made from. */
export function withFileNames(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const file = parseReference(line);
      return file ? (file.path.split("/").at(-1) ?? file.path) : line;
    })
    .join("\n");
}
