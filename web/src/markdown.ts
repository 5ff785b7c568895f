/**
 * Markdown from the secretary, made safe by markdown/render.ts (marked, then DOMPurify). Those two
 * libraries are a third of the app's script, and the chat can show its first words without them: they
 * load right after start, and until then a message shows as plain text (a text node, never HTML),
 * which is replaced by its rendered Markdown the moment the renderer arrives.
 */
import type { renderMarkdown as Render } from "./markdown/render.js";

let render: typeof Render | undefined;
const waiting = new Set<Text>();

/** Resolves once Markdown renders (or the renderer could not load: the text stays plain). */
export const markdownReady: Promise<void> = import("./markdown/render.js").then(
  (module) => {
    render = module.renderMarkdown;
    for (const node of waiting) if (node.parentNode) node.replaceWith(render(node.data));
    waiting.clear();
  },
  () => waiting.clear(),
);

export function renderMarkdown(text: string): DocumentFragment {
  if (render) return render(text);
  const node = document.createTextNode(text);
  waiting.add(node);
  const fragment = document.createDocumentFragment();
  fragment.append(node);
  return fragment;
}
