// A progress bar with a live status (the loss): redrawn in place on a terminal, printed as an
// occasional plain line (every 10%) when the output is a pipe or a file.
const BAR_WIDTH = 30;
const PLAIN_LINES = 10;

export class ProgressBar {
  private plainLinesPrinted = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, status: string): void {
    const fraction = Math.min(done / this.total, 1);
    if (this.stream.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
      this.stream.write(`\r\x1b[2K${this.label} ${bar} ${done}/${this.total} ${status}`);
    } else if (fraction * PLAIN_LINES >= this.plainLinesPrinted + 1 || done === this.total) {
      this.plainLinesPrinted = Math.floor(fraction * PLAIN_LINES);
      this.stream.write(`${this.label} ${done}/${this.total} ${status}\n`);
    }
  }

  /** Ends the redrawn line so later output starts on a fresh one. */
  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
