// A local run's JobStore (job-store.ts): a job's checkpoints, metrics and final parameters in the
// run directory.
import { saveCheckpoint } from '../train/checkpoint.js';
import type { JobStore } from './job-store.js';
import type { RunDirectory } from './run-directory.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from './training-checkpoint.js';

/** A local run's store: the run directory's checkpoints/, metrics.jsonl and trained/. */
export function runDirectoryStore(dir: RunDirectory, model: string, trainSize: number, seed: number): JobStore {
  const checkpointPath = dir.checkpointPath(model, trainSize, seed);
  return {
    loadCheckpoint: async (initial, warn) => loadTrainingCheckpoint(checkpointPath, initial, warn),
    epochDone: async (metrics, checkpoint) => {
      dir.recordEpoch(metrics);
      saveTrainingCheckpoint(checkpointPath, checkpoint);
    },
    trained: async (checkpoint) => saveCheckpoint(dir.trainedPath(model, trainSize, seed), checkpoint),
    stopRequested: () => false,
  };
}
