// A long ladder in the page keeps only the rows near the view in the DOM: every arrow and fold of
// the SVG `synack ladder --svg` draws is a group with absolute coordinates, so a group far from
// the scroller's view is swapped for an empty comment and back as the view moves. A 2 500-packet
// connection drawn with every packet is 20 000 SVG elements: laid out and painted at once they
// hold the page for a second; near the view, a few hundred. Rows are made ready (labels, hit
// lines, language) the first time they are shown.

/** Ladders with more rows than this keep only those near the view. */
export const VIRTUAL_ROWS = 300;
/** Rows this far above and below the view stay drawn (scrolling shows no gap). */
const MARGIN_PX = 1500;

interface Row {
  g: SVGGElement;
  mark: Comment;
  top: number;
  bottom: number;
  shown: boolean;
  ready: boolean;
}

/** The vertical extent of a row group, from its children's coordinates (no layout needed). */
function extent(g: SVGGElement): { top: number; bottom: number } {
  let top = Number.POSITIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (const c of g.children) {
    for (const a of ['y', 'y1', 'y2']) {
      const v = c.getAttribute(a);
      if (v === null) continue;
      const y = Number(v);
      const h = a === 'y' ? Number(c.getAttribute('height') ?? 0) : 0;
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + h);
    }
  }
  // Text hangs above its baseline, labels below a line.
  return { top: top - 20, bottom: bottom + 20 };
}

export class LadderRows {
  private readonly rows: Row[] = [];
  private readonly byFrame = new Map<number, Row>();
  private pending = 0;

  constructor(
    private readonly box: HTMLElement,
    groups: readonly SVGGElement[],
    private readonly prepare: (g: SVGGElement) => void,
  ) {
    for (const g of groups) {
      const { top, bottom } = extent(g);
      const mark = g.ownerDocument.createComment('');
      g.replaceWith(mark);
      const row: Row = { g, mark, top, bottom, shown: false, ready: false };
      this.rows.push(row);
      const f = g.getAttribute('data-frame');
      if (f !== null) this.byFrame.set(Number(f), row);
    }
  }

  /** Every row group, drawn or not (to clear a mark on all of them). */
  get groups(): SVGGElement[] {
    return this.rows.map((r) => r.g);
  }

  private show(r: Row): void {
    if (r.shown) return;
    if (!r.ready) {
      this.prepare(r.g);
      r.ready = true;
    }
    r.mark.replaceWith(r.g);
    r.shown = true;
  }

  /** Draws the rows near the view and takes away the others (not one holding the focus). */
  sync(): void {
    const top = this.box.scrollTop - MARGIN_PX;
    const bottom = this.box.scrollTop + this.box.clientHeight + MARGIN_PX;
    const focused = this.box.ownerDocument.activeElement;
    for (const r of this.rows) {
      const near = r.bottom >= top && r.top <= bottom;
      if (near) this.show(r);
      else if (r.shown && !(focused && r.g.contains(focused))) {
        r.g.replaceWith(r.mark);
        r.shown = false;
      }
    }
  }

  /** Once per frame, however many scroll events came. */
  schedule(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.sync();
    });
  }

  /** The arrow of `frame`, drawn now (to select, focus or scroll to it); null if it has none. */
  arrow(frame: number): SVGGElement | null {
    const r = this.byFrame.get(frame);
    if (!r) return null;
    this.show(r);
    return r.g;
  }

  /** The first arrow, drawn now. */
  first(): SVGGElement | null {
    const r = this.rows.find((x) => x.g.matches('g.pkt'));
    if (!r) return null;
    this.show(r);
    return r.g;
  }

  stop(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
    this.pending = 0;
  }
}
