// A curvature sweep's results and their summary table — mean ± std over seeds per model and
// training-set size — as report.ts writes them (results.json, report.md) and the playground shows them.

/** One trained (or evaluated) model at one training-set size and seed. */
export interface RunResult {
  model: string;
  net: string;
  trainSize: number;
  seed: number;
  testError: number;
  validationError: number;
  bestEpoch: number;
  params: number;
  seconds: number;
  /** What trained or evaluated it (a queued run's jobs may run on several machines). */
  device?: string;
}

export interface Summary {
  model: string;
  net: string;
  trainSize: number;
  mean: number;
  std: number;
  seeds: number;
  params: number;
  /** Training (or evaluation) time summed over the seeds. */
  seconds: number;
}

export function summarise(results: readonly RunResult[]): Summary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = `${r.model}\u0000${r.trainSize}`;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [r]);
    else list.push(r);
  }
  const out: Summary[] = [];
  for (const list of groups.values()) {
    const errors = list.map((r) => r.testError);
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const variance = errors.length > 1 ? errors.reduce((a, e) => a + (e - mean) ** 2, 0) / (errors.length - 1) : 0;
    const first = list[0]!;
    const seconds = list.reduce((sum, r) => sum + r.seconds, 0);
    out.push({ model: first.model, net: first.net, trainSize: first.trainSize, mean, std: Math.sqrt(variance), seeds: list.length, params: first.params, seconds });
  }
  return out.sort((a, b) => (a.model === b.model ? a.trainSize - b.trainSize : 0));
}

/** Improvement of `mean` over the reference error, in percent (positive = better than the reference). */
export function improvement(mean: number, reference: number): number {
  return (100 * (reference - mean)) / reference;
}
