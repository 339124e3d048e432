// The playground's engine: what the browser page (and its worker) calls — the compiler's
// diagnostics, certificate, IR and kernels of a `.gmn` text, and a task's preset trained in memory
// on a WebGPU `GPU` object. Browser-safe: nothing here reaches a Node built-in (fs, path, process,
// child_process, ...); `use std/...` is served from std/ sources embedded at build time.
//
// Bundling: esbuild with `platform: 'browser'`, `format: 'esm'`, entry runtime/playground/engine.ts
// (or a worker that imports it), no externals. tests/playground/engine-bundle.test.ts builds it so
// and fails if any Node built-in is reachable.
//
// CONTRACT FIRST: the types below are the interface part B codes against; the functions are
// filled in by part A (issue 29).

export type PlaygroundSeverity = 'error' | 'warning' | 'note';

/** One diagnostic of the analysed text, located by 0-based offsets `[from, to)` and 1-based line/column. */
export interface PlaygroundDiagnostic {
  from: number;
  to: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: PlaygroundSeverity;
  /** Stable identifier, e.g. `symmetry/breaks-group`. */
  code: string;
  message: string;
  hint?: string;
  /** The file the span is in: the analysed text's name, or a `std/...` module. */
  file: string;
}

export interface PlaygroundKernel {
  /** `<task>/<net>/<forward|step>/<kernel>` — unique within one call. */
  name: string;
  wgsl: string;
}

export interface PlaygroundExample {
  /** `dsl-examples/curvature.gmn`, `std/layers.gmn`, ... */
  name: string;
  source: string;
}

export interface PlaygroundProgress {
  /** `compile`, `data`, `train`, `evaluate`, `done`. */
  phase: string;
  step: number;
  total: number;
  /** Training loss of the epoch just finished (phase `train`). */
  loss?: number;
}

export interface PlaygroundRunOptions {
  onProgress(p: PlaygroundProgress): void;
  /** Aborting stops the run between training steps; the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/** One summary row, as in results.json's `summaries` of `gmn run`. */
export interface PlaygroundSummary {
  model: string;
  net: string;
  trainSize: number;
  mean: number;
  std: number;
  seeds: number;
  params: number;
  seconds: number;
}

/** One (model, training size, seed) result, as in results.json's `results`. */
export interface PlaygroundResult {
  model: string;
  net: string;
  trainSize: number;
  seed: number;
  testError: number;
  validationError: number;
  bestEpoch: number;
  params: number;
  seconds: number;
  device?: string;
}

/** One finished epoch of one training run: the loss series the page plots. */
export interface PlaygroundEpoch {
  model: string;
  trainSize: number;
  seed: number;
  epoch: number;
  trainLoss: number;
  validationError: number;
}

export interface PlaygroundRunResult {
  task: string;
  preset: string;
  device: string;
  /** The metric the errors are in (the same words as report.md's). */
  metric: string;
  summaries: PlaygroundSummary[];
  results: PlaygroundResult[];
  epochs: PlaygroundEpoch[];
  seconds: number;
}

const NOT_YET = 'playground engine: not yet implemented (issue 29 part A in progress)';

export function analyse(_source: string, _fileName = 'playground.gmn'): PlaygroundDiagnostic[] {
  throw new Error(NOT_YET);
}

export function explain(_source: string): string {
  throw new Error(NOT_YET);
}

export function irDump(_source: string): string {
  throw new Error(NOT_YET);
}

export function kernels(_source: string): PlaygroundKernel[] {
  throw new Error(NOT_YET);
}

export function examples(): PlaygroundExample[] {
  throw new Error(NOT_YET);
}

export async function runPreset(_source: string, _preset: string, _gpu: GPU, _opts: PlaygroundRunOptions): Promise<PlaygroundRunResult> {
  throw new Error(NOT_YET);
}
