/**
 * A search hit's snippet as the PC sends it, matched words in [brackets], made into text nodes and
 * <mark> elements: the snippet is someone's own words, so it never goes in as HTML.
 */
import { h } from "../dom.js";

export function markedSnippet(snippet: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let done = 0;
  for (const match of snippet.matchAll(/\[([^[\]]+)\]/g)) {
    if (match.index > done) fragment.append(snippet.slice(done, match.index));
    fragment.append(h("mark", {}, match[1]));
    done = match.index + match[0].length;
  }
  if (done < snippet.length) fragment.append(snippet.slice(done));
  return fragment;
}
