/**
 * For links to a passage: the router scrolls to the top after a navigation
 * unless the link has `noscroll`, and that would come after the document
 * view has scrolled the cited passage into view. (The attribute is one the
 * router reads from the clicked anchor; Solid's JSX types do not know it.)
 */
export function keepScroll(anchor: HTMLAnchorElement): void {
  anchor.setAttribute("noscroll", "");
}
