// The checkpoint of one training run of a task: the trainer's checkpoint (parameters, optimizer
// state, step, the batch-order Rng; runtime/train/checkpoint.ts) plus the protocol's own progress
// (last finished epoch, best validation epoch so far, time spent), saved after every epoch.
//
// Saving goes through a temporary folder and two renames, so an interruption at any moment leaves
// either the previous or the new checkpoint readable, never half of one.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import type { TrainState } from '../train/executor.js';
import type { RngState } from '../util/rng.js';

export interface BestEpoch {
  epoch: number;
  validationError: number;
  testError: number;
}

export interface TrainingCheckpoint {
  state: TrainState;
  rng: RngState;
  batchSize: number;
  /** The last finished epoch (1-based). */
  epoch: number;
  best: BestEpoch;
  seconds: number;
}

interface ProtocolFile {
  epoch: number;
  best: BestEpoch;
  seconds: number;
}

const PROTOCOL = 'protocol.json';

export function saveTrainingCheckpoint(path: string, checkpoint: TrainingCheckpoint): void {
  const tmp = `${path}.tmp`;
  const old = `${path}.old`;
  rmSync(tmp, { recursive: true, force: true });
  saveCheckpoint(tmp, { state: checkpoint.state, rng: checkpoint.rng, batchSize: checkpoint.batchSize });
  const protocol: ProtocolFile = { epoch: checkpoint.epoch, best: checkpoint.best, seconds: checkpoint.seconds };
  writeFileSync(join(tmp, PROTOCOL), JSON.stringify(protocol, replaceInfinity));
  rmSync(old, { recursive: true, force: true });
  if (existsSync(path)) renameSync(path, old);
  renameSync(tmp, path);
  rmSync(old, { recursive: true, force: true });
}

/** The latest complete checkpoint at `path`, or null when the run has none yet. */
export function loadTrainingCheckpoint(path: string): TrainingCheckpoint | null {
  const dir = existsSync(join(path, PROTOCOL)) ? path : existsSync(join(`${path}.old`, PROTOCOL)) ? `${path}.old` : null;
  if (dir === null) return null;
  const trainer = loadCheckpoint(dir);
  const protocol = JSON.parse(readFileSync(join(dir, PROTOCOL), 'utf8'), reviveInfinity) as ProtocolFile;
  return { state: trainer.state, rng: trainer.rng, batchSize: trainer.batchSize, ...protocol };
}

// JSON has no Infinity or NaN; a best validation error is +∞ until the first epoch finishes.
function replaceInfinity(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function reviveInfinity(_key: string, value: unknown): unknown {
  return value === 'Infinity' || value === '-Infinity' || value === 'NaN' ? Number(value) : value;
}
