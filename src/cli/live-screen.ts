// A block of text redrawn in place on a terminal, for `--watch`: each refresh moves the cursor back to the top of
// the previous block (CSI n A), rewrites every line (clearing its rest, CSI K) and clears what the previous block left
// below (CSI J). Nothing scrolls: lines are cut to the terminal's width (a wrapped line would take two rows and the
// count of rows to move up would be wrong) and the block to its height less one row. Not a terminal (a pipe, a
// file): each refresh is printed after the last, separated by a blank line, so a log keeps every table.

import type { OutputStream } from './deps.js';

const ESC = '\u001b[';

export class LiveScreen {
  #drawn = 0;
  #started = false;

  constructor(private readonly out: OutputStream) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  show(text: string): void {
    const lines = text.split('\n');
    if (!this.tty) {
      this.out.write(`${this.#started ? '\n' : ''}${lines.join('\n')}\n`);
      this.#started = true;
      return;
    }
    const width = Math.max(this.out.columns ?? 80, 20);
    const height = Math.max((this.out.rows ?? 24) - 1, 2);
    let shown = lines.map((l) => (l.length > width ? l.slice(0, width) : l));
    if (shown.length > height) {
      const hidden = shown.length - (height - 1);
      shown = [...shown.slice(0, height - 1), `... ${hidden} more line${hidden === 1 ? '' : 's'} (a taller terminal shows them)`.slice(0, width)];
    }
    let frame = this.#started ? '' : `${ESC}?25l`; // hide the cursor while redrawing
    if (this.#drawn > 0) frame += `${ESC}${this.#drawn}A\r`;
    frame += shown.map((l) => `${l}${ESC}K\n`).join('') + `${ESC}J`;
    this.out.write(frame);
    this.#drawn = shown.length;
    this.#started = true;
  }

  /** Gives the cursor back; the last table stays on the screen. */
  end(): void {
    if (this.tty && this.#started) this.out.write(`${ESC}?25h`);
  }
}
