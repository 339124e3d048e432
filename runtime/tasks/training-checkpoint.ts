// The checkpoint of one training run of a task: the trainer's checkpoint (parameters, optimizer
// state, step, the batch-order Rng; runtime/train/checkpoint.ts) plus the protocol's own progress
// (last finished epoch, best validation epoch so far, time spent), saved after every epoch. The
// best epoch's test error is measured once, when training ends, so until then the checkpoint also
// holds that epoch's parameters (`best/`, written in the same generation, so the two always agree).
//
// Two generations are kept: `<run>.ckpt` (the latest) and `<run>.ckpt.prev` (the one before it).
// Saving writes a temporary folder and then renames, so an interruption at any moment leaves at
// least one complete generation. Loading takes the latest generation that is sound and fits the
// model; a damaged one is reported (file and problem) and removed, so a run falls back to the
// previous generation, or — when neither is usable — restarts from scratch, and says so.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
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
  /** The best epoch's parameters while its test error is still to be measured (its testError is NaN). */
  bestParams?: ReadonlyMap<string, Float64Array>;
}

interface ProtocolFile {
  epoch: number;
  best: BestEpoch;
  seconds: number;
}

const PROTOCOL = 'protocol.json';
const BEST = 'best';

export function saveTrainingCheckpoint(path: string, checkpoint: TrainingCheckpoint): void {
  const tmp = `${path}.tmp`;
  const prev = `${path}.prev`;
  rmSync(tmp, { recursive: true, force: true });
  saveCheckpoint(tmp, { state: checkpoint.state, rng: checkpoint.rng, batchSize: checkpoint.batchSize });
  const protocol: ProtocolFile = { epoch: checkpoint.epoch, best: checkpoint.best, seconds: checkpoint.seconds };
  writeFileSync(join(tmp, PROTOCOL), JSON.stringify(protocol, replaceInfinity));
  if (checkpoint.bestParams !== undefined) {
    saveCheckpoint(join(tmp, BEST), { state: { params: new Map(checkpoint.bestParams), optimizer: { slots: new Map() }, step: 0 }, rng: checkpoint.rng, batchSize: checkpoint.batchSize });
  }
  if (existsSync(path)) {
    rmSync(prev, { recursive: true, force: true });
    renameSync(path, prev);
  }
  renameSync(tmp, path);
}

/** Removes both generations (the run finished, or restarts). */
export function removeTrainingCheckpoint(path: string): void {
  for (const dir of [path, `${path}.prev`, `${path}.tmp`]) rmSync(dir, { recursive: true, force: true });
}

/**
 * The latest usable checkpoint at `path`, or null when the run must start from scratch: it has none
 * yet, or none is usable. `initial` is the run's fresh state: a checkpoint must hold exactly its
 * parameters and optimizer slots, with the same sizes. `warn` hears every fallback.
 */
export function loadTrainingCheckpoint(path: string, initial: TrainState, warn: (line: string) => void): TrainingCheckpoint | null {
  const generations = [path, `${path}.prev`].filter((dir) => existsSync(dir));
  const problems: string[] = [];
  for (const dir of generations) {
    try {
      const checkpoint = readGeneration(dir, initial);
      if (problems.length > 0) warn(`warning: ${problems.join('; ')}; resuming from the previous checkpoint ${dir} (epoch ${checkpoint.epoch})`);
      return checkpoint;
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      problems.push(`checkpoint ${e.message}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (problems.length > 0) warn(`warning: ${problems.join('; ')}; no usable checkpoint is left, so this training run restarts from scratch`);
  return null;
}

function readGeneration(dir: string, initial: TrainState): TrainingCheckpoint {
  const protocolFile = join(dir, PROTOCOL);
  if (!existsSync(protocolFile)) throw new CheckpointError(protocolFile, 'the file is missing');
  let protocol: Partial<ProtocolFile>;
  try {
    protocol = JSON.parse(readFileSync(protocolFile, 'utf8'), reviveInfinity) as Partial<ProtocolFile>;
  } catch (e) {
    throw new CheckpointError(protocolFile, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Number.isInteger(protocol.epoch) || protocol.best === undefined || typeof protocol.seconds !== 'number') {
    throw new CheckpointError(protocolFile, 'lacks the epoch, best epoch or time spent');
  }
  const trainer = loadCheckpoint(dir);
  checkFits(dir, trainer.state, initial);
  const checkpoint: TrainingCheckpoint = { state: trainer.state, rng: trainer.rng, batchSize: trainer.batchSize, epoch: protocol.epoch!, best: protocol.best, seconds: protocol.seconds };
  const bestParams = readBestParams(dir, initial);
  return bestParams === null ? checkpoint : { ...checkpoint, bestParams };
}

/** The pending best epoch's parameters (`best/`), when the generation has them; they must fit the model too. */
function readBestParams(dir: string, initial: TrainState): Map<string, Float64Array> | null {
  const bestDir = join(dir, BEST);
  if (!existsSync(bestDir)) return null;
  const { params } = loadCheckpoint(bestDir).state;
  checkFits(bestDir, { params, optimizer: initial.optimizer, step: 0 }, initial);
  return params;
}

/** The checkpoint holds the model's parameters and optimizer slots, no more, no fewer, same sizes. */
function checkFits(dir: string, got: TrainState, want: TrainState): void {
  const file = join(dir, 'checkpoint.json');
  const describe = (s: TrainState): string[] => [
    ...[...s.params].map(([name, p]) => `param ${name}:${p.length}`),
    ...[...s.optimizer.slots].flatMap(([name, slots]) => slots.map((slot, i) => `slot ${name}#${i}:${slot.length}`)),
  ].sort();
  const have = new Set(describe(got));
  const need = describe(want);
  const missing = need.filter((d) => !have.has(d));
  if (missing.length > 0 || have.size !== need.length) {
    throw new CheckpointError(file, `does not fit the model (${missing.length > 0 ? `no ${missing[0]}` : 'arrays the model does not have'}): written for another model or configuration`);
  }
}

// JSON has no Infinity or NaN; a best validation error is +∞ until the first epoch finishes.
function replaceInfinity(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function reviveInfinity(_key: string, value: unknown): unknown {
  return value === 'Infinity' || value === '-Infinity' || value === 'NaN' ? Number(value) : value;
}
