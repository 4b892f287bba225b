// A progress line on stderr for long files, only when stderr is a terminal: bytes read / size,
// packets/s and ETA, redrawn at most ten times a second.
export class ProgressLine {
  readonly #label: string;
  readonly #started = Date.now();
  #lastDraw = 0;
  #drawn = false;

  constructor(label: string) {
    this.#label = label;
  }

  update(bytesRead: number, totalBytes: number | undefined, packets: number): void {
    const now = Date.now();
    if (now - this.#lastDraw < 100 || now - this.#started < 500) return;
    this.#lastDraw = now;
    const secs = (now - this.#started) / 1000;
    const rate = Math.round(packets / secs);
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    let line = `${this.#label}: ${mb(bytesRead)} MB`;
    if (totalBytes) {
      const frac = Math.min(1, bytesRead / totalBytes);
      const eta = frac > 0 ? Math.round(secs / frac - secs) : 0;
      const bar = '#'.repeat(Math.round(frac * 20)).padEnd(20, '.');
      line = `${this.#label}: [${bar}] ${mb(bytesRead)}/${mb(totalBytes)} MB`;
      line += `, ${rate} pkt/s, ETA ${eta} s`;
    } else {
      line += `, ${rate} pkt/s`;
    }
    process.stderr.write(`\r${line.slice(0, 79).padEnd(79)}`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) process.stderr.write(`\r${' '.repeat(79)}\r`);
  }
}
