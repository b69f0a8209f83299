import type { Logger } from "../log.js";

const MiB = 1024 * 1024;
const mib = (n: number) => (n / MiB).toFixed(1);

interface Row {
  received: number;
  total: number | null;
  done: boolean;
}

/**
 * Download progress: a bar per artifact redrawn in place on a terminal, and otherwise (journald,
 * cloud-init logs) one summary line every `logEveryMs` — never a line per chunk.
 */
export class Progress {
  private readonly rows = new Map<string, Row>();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private readonly started = Date.now();

  constructor(
    private readonly log: Logger,
    private readonly tty: NodeJS.WriteStream | null,
    private readonly logEveryMs = 5_000,
  ) {}

  start(names: string[]): void {
    for (const n of names) this.rows.set(n, { received: 0, total: null, done: false });
    this.timer = setInterval(() => this.tick(), this.tty ? 200 : this.logEveryMs);
    this.timer.unref();
  }

  update(name: string, received: number, total: number | null): void {
    const row = this.rows.get(name);
    if (row) Object.assign(row, { received, total });
  }

  finish(name: string): void {
    const row = this.rows.get(name);
    if (row) row.done = true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.tick();
  }

  private tick(): void {
    if (this.tty) this.draw(this.tty);
    else this.logLine();
  }

  private totals() {
    let received = 0;
    let total = 0;
    let done = 0;
    for (const r of this.rows.values()) {
      received += r.received;
      total += r.total ?? r.received;
      if (r.done) done++;
    }
    return { received, total, done };
  }

  private logLine(): void {
    const t = this.totals();
    const secs = (Date.now() - this.started) / 1000;
    this.log.info(
      { done: t.done, artifacts: this.rows.size, receivedMiB: Number(mib(t.received)), totalMiB: Number(mib(t.total)), MiBps: Number(mib(t.received / Math.max(secs, 0.001))) },
      "download progress",
    );
  }

  private draw(out: NodeJS.WriteStream): void {
    const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 50));
    const lines = [...this.rows].map(([name, r]) => {
      const frac = r.done ? 1 : r.total ? Math.min(1, r.received / r.total) : 0;
      const filled = Math.round(frac * width);
      const size = r.total ? `${mib(r.received)}/${mib(r.total)} MiB` : `${mib(r.received)} MiB`;
      return `${name.slice(0, 24).padEnd(24)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${size}`;
    });
    // Move back over the previous frame and redraw it in place.
    out.write((this.drawnLines ? `\x1b[${this.drawnLines}F` : "") + lines.map((l) => `${l}\x1b[K`).join("\n") + "\n");
    this.drawnLines = lines.length;
  }
}
