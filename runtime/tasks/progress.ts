// Progress of a task run on stderr: a live bar with ETA on a terminal (cli-progress), and
// throttled plain lines elsewhere (CI logs, pipes), so a long run always shows that it is alive.
import cliProgress from 'cli-progress';

export interface Progress {
  /** A new phase of the run (data generation, training). */
  stage(text: string): void;
  /** Data generation: `done` of `total` models. */
  data(done: number, total: number): void;
  log(line: string): void;
  /** Training: `total` units of work (epochs, and one per untrained model). */
  startTraining(total: number): void;
  advance(units: number, status: string): void;
  stop(): void;
}

/** Seconds between plain progress lines when stderr is not a terminal. */
const PLAIN_INTERVAL_S = 10;

export function consoleProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(stream) : new PlainProgress(stream);
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  stage(text: string): void {
    this.stopBar();
    this.stream.write(`${text}\n`);
  }

  data(done: number, total: number): void {
    if (this.bar === null) this.bar = this.start(total, 'models');
    this.bar.update(done, { status: `${done}/${total} models` });
    if (done === total) this.stopBar();
  }

  log(line: string): void {
    // Clear the bar's line first; the bar redraws itself on its next update.
    this.stream.write(this.bar === null ? `${line}\n` : `\r\x1b[K${line}\n`);
  }

  startTraining(total: number): void {
    this.stopBar();
    this.bar = this.start(total, 'training');
  }

  advance(units: number, status: string): void {
    this.bar?.increment(units, { status });
  }

  stop(): void {
    this.stopBar();
  }

  private start(total: number, status: string): cliProgress.SingleBar {
    const bar = new cliProgress.SingleBar({
      stream: this.stream,
      format: '{bar} {percentage}% | ETA {eta_formatted} | {status}',
      etaBuffer: 50,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { status });
    return bar;
  }

  private stopBar(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

class PlainProgress implements Progress {
  private total = 0;
  private done = 0;
  private started = 0;
  private lastLine = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  stage(text: string): void {
    this.stream.write(`${text}\n`);
  }

  data(done: number, total: number): void {
    if (this.due() || done === total) this.stream.write(`data: ${done}/${total} models\n`);
  }

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  startTraining(total: number): void {
    this.total = total;
    this.done = 0;
    this.started = performance.now();
  }

  advance(units: number, status: string): void {
    this.done += units;
    if (!this.due() && this.done < this.total) return;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = this.done > 0 ? (elapsed * (this.total - this.done)) / this.done : 0;
    this.stream.write(`[${this.done}/${this.total}] ${status} (ETA ${Math.round(eta)} s)\n`);
  }

  stop(): void {}

  private due(): boolean {
    const now = performance.now();
    if (now - this.lastLine < PLAIN_INTERVAL_S * 1000) return false;
    this.lastLine = now;
    return true;
  }
}
