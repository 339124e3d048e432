// The messages between the playground page (main.ts) and its worker (worker.ts). Every request
// carries an id; the worker answers it once (a value or a failure) and, for a run, sends progress
// under the same id before the answer. `stop` aborts the run with that id.
import type {
  PlaygroundDiagnostic, PlaygroundExample, PlaygroundKernel, PlaygroundProgress, PlaygroundRunResult,
} from '../engine.js';

export type Request =
  | { kind: 'analyse'; source: string; fileName: string }
  | { kind: 'explain'; source: string }
  | { kind: 'ir'; source: string }
  | { kind: 'kernels'; source: string }
  | { kind: 'examples' }
  | { kind: 'gpu' }
  | { kind: 'run'; source: string; preset: string };

/** What each request kind resolves to. */
export interface Replies {
  analyse: PlaygroundDiagnostic[];
  explain: string;
  ir: string;
  kernels: PlaygroundKernel[];
  examples: PlaygroundExample[];
  /** The adapter's description, or why WebGPU cannot be used here. */
  gpu: GpuProbe;
  run: PlaygroundRunResult;
}

export type GpuProbe = { ok: true; adapter: string } | { ok: false; reason: string };

export type ToWorker = { id: number; request: Request } | { stop: number };

export type FromWorker =
  | { id: number; ok: true; value: Replies[keyof Replies]; ms: number }
  | { id: number; ok: false; message: string }
  | { id: number; progress: PlaygroundProgress };
