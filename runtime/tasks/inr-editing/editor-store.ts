// Where one editor training run (train.ts) keeps its state while it runs: a training job's store
// (runtime/tasks/job-store.ts: checkpoint, per-round metrics, final parameters) plus the best
// parameters so far, which become the trained editor. Locally all of it lives in the run directory
// (this file: the best parameters beside the checkpoint, `<checkpoint>.best`); on a queue's worker
// in Redis (runtime/queue/redis-store.ts).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../train/checkpoint.js';
import type { TrainState } from '../../train/executor.js';
import type { JobStore } from '../job-store.js';
import { runDirectoryStore } from '../run-directory-store.js';
import type { RunDirectory } from '../run-directory.js';

export interface EditorStore extends JobStore {
  /** The best parameters saved before the checkpoint being resumed, or null. */
  loadBest(): Promise<TrainState | null>;
  /** A new best validation point's parameters (kept until the run has finished). */
  saveBest(checkpoint: Checkpoint): Promise<void>;
}

/** A local run's store: checkpoints/, metrics.jsonl and trained/ of the run directory. */
export function runDirectoryEditorStore(dir: RunDirectory, label: string, trainSize: number, seed: number): EditorStore {
  const bestPath = `${dir.checkpointPath(label, trainSize, seed)}.best`;
  const trainedPath = dir.trainedPath(label, trainSize, seed);
  return {
    ...runDirectoryStore(dir, label, trainSize, seed),
    loadBest: async () => (existsSync(bestPath) ? loadCheckpoint(bestPath).state : null),
    saveBest: async (checkpoint) => {
      rmSync(bestPath, { recursive: true, force: true });
      saveCheckpoint(bestPath, checkpoint);
    },
    trained: async (checkpoint) => {
      rmSync(trainedPath, { recursive: true, force: true });
      mkdirSync(dirname(trainedPath), { recursive: true });
      saveCheckpoint(trainedPath, checkpoint);
      rmSync(bestPath, { recursive: true, force: true });
    },
  };
}
