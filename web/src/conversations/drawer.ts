/**
 * The conversations pane as a drawer on a narrow screen: a button opens it, Escape or the backdrop
 * closes it; while it is open, focus is inside it and everything behind it is inert (so neither a
 * screen reader nor Tab wanders out), and closing gives focus back to the button. On a wide screen
 * the pane stands beside the chat and none of this applies.
 */
export const WIDE = "(min-width: 900px)";

export interface Drawer {
  readonly isOpen: boolean;
  open(): void;
  close(): void;
}

export function drawer(pane: HTMLElement, toggle: HTMLButtonElement, onOpen: () => void): Drawer {
  const wide = matchMedia(WIDE);
  let inerted: HTMLElement[] = [];
  let isOpen = false;

  function open(): void {
    if (isOpen || wide.matches) return;
    isOpen = true;
    pane.classList.add("open");
    toggle.setAttribute("aria-expanded", "true");
    // Every element beside the pane's own line of ancestors goes inert.
    for (let node: HTMLElement | null = pane; node && node !== document.body; node = node.parentElement)
      for (const sibling of node.parentElement?.children ?? [])
        if (sibling !== node && sibling instanceof HTMLElement && !sibling.inert) {
          sibling.inert = true;
          inerted.push(sibling);
        }
    onOpen();
  }

  function close(restoreFocus = true): void {
    if (!isOpen) return;
    isOpen = false;
    pane.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
    for (const element of inerted) element.inert = false;
    inerted = [];
    if (restoreFocus) toggle.focus();
  }

  toggle.setAttribute("aria-expanded", "false");
  toggle.addEventListener("click", () => (isOpen ? close() : open()));
  // On the document, so Escape closes it wherever focus went (a list drawn again, a click on the veil).
  document.addEventListener("keydown", (event) => {
    // A dialog opened from the drawer (a delete's confirmation) takes its own Escape.
    if (event.key === "Escape" && isOpen && !event.defaultPrevented && !(event.target instanceof Element && event.target.closest("dialog"))) {
      event.preventDefault();
      close();
    }
  });
  // Turning a phone sideways or widening a window: the pane stands beside the chat again.
  wide.addEventListener("change", () => wide.matches && close(false));

  return {
    get isOpen() {
      return isOpen;
    },
    open,
    close: () => close(),
  };
}
