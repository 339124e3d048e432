// The machine's 1-minute load average over a run, sampled every 30 s: a wall-clock time means little
// without it on a shared machine, so reports state the range beside their wall-clock.
import { loadavg } from 'node:os';

export interface LoadRange {
  min: number;
  max: number;
}

const EVERY_MS = 30_000;

/** Starts sampling now (`read`: the 1-minute load average; tests pass their own); `stop` gives the range seen. */
export function sampleLoadAverage(read: () => number = () => loadavg()[0]!, everyMs = EVERY_MS): { stop(): LoadRange } {
  const range = { min: read(), max: 0 };
  range.max = range.min;
  const take = () => {
    const load = read();
    range.min = Math.min(range.min, load);
    range.max = Math.max(range.max, load);
  };
  // unref: the sampler never keeps a finished process alive.
  const timer = setInterval(take, everyMs).unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      return { ...range };
    },
  };
}
