// Where one job of a sweep (one training run) keeps its state while it runs: its latest checkpoint,
// its per-epoch metrics and its final parameters. The protocol (curvature.ts) trains through this
// interface only, so a local run, a queue worker and the browser playground run the same code:
// locally the state lives in the run directory (run-directory-store.ts), on a worker in Redis
// (runtime/queue/redis-store.ts), in the playground in memory.
import type { Checkpoint } from '../train/checkpoint.js';
import type { TrainState } from '../train/executor.js';
import type { EpochMetrics } from './run-directory.js';
import type { TrainingCheckpoint } from './training-checkpoint.js';

export interface JobStore {
  /** The job's latest usable checkpoint, or null to start from scratch; `warn` hears every fallback. */
  loadCheckpoint(initial: TrainState, warn: (line: string) => void): Promise<TrainingCheckpoint | null>;
  /** After every epoch: its metrics, and the checkpoint that resumes after it. */
  epochDone(metrics: EpochMetrics, checkpoint: TrainingCheckpoint): Promise<void>;
  /** The finished training run's final state (kept for `gmn verify --params` and `gmn export`). */
  trained(checkpoint: Checkpoint): Promise<void>;
  /** Whether the job should stop after the epoch just saved and be handed back (a worker is stopping). */
  stopRequested(): boolean;
}

/** Thrown by a job that stopped at a checkpoint (an epoch's end) because its store asked it to. */
export class JobHandedBack extends Error {
  constructor(readonly epoch: number, unit = 'epoch') {
    super(`stopped after ${unit} ${epoch} (checkpointed)`);
  }
}
