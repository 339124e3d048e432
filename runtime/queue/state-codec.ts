// Training state as JSON, for what travels through Redis (a job's checkpoint, a finished job's final
// parameters): every array as the base64 of its float64 little-endian bytes, so values round-trip
// exactly, and non-finite numbers (a best validation error of +∞ before the first epoch, a NaN
// validation error of an untrained model) as strings, which JSON cannot otherwise carry.
import type { Checkpoint } from '../train/checkpoint.js';
import type { TrainState } from '../train/executor.js';
import type { RngState } from '../util/rng.js';
import type { TrainingCheckpoint } from '../tasks/training-checkpoint.js';

export interface EncodedState {
  step: number;
  params: [string, string][];
  slots: [string, string[]][];
}

export interface EncodedCheckpoint {
  state: EncodedState;
  rng: RngState;
  batchSize: number;
}

export interface EncodedTrainingCheckpoint extends EncodedCheckpoint {
  epoch: number;
  best: { epoch: number; validationError: number | string; testError: number | string };
  seconds: number;
  /** The best epoch's parameters while its test error is still to be measured. */
  bestParams?: [string, string][];
}

export function encodeCheckpoint(c: Checkpoint): EncodedCheckpoint {
  return { state: encodeState(c.state), rng: c.rng, batchSize: c.batchSize };
}

export function decodeCheckpoint(c: EncodedCheckpoint): Checkpoint {
  return { state: decodeState(c.state), rng: c.rng, batchSize: c.batchSize };
}

export function encodeTrainingCheckpoint(c: TrainingCheckpoint): EncodedTrainingCheckpoint {
  return {
    ...encodeCheckpoint(c), epoch: c.epoch, seconds: c.seconds,
    best: { epoch: c.best.epoch, validationError: encodeNumber(c.best.validationError), testError: encodeNumber(c.best.testError) },
    ...(c.bestParams === undefined ? {} : { bestParams: [...c.bestParams].map(([name, p]): [string, string] => [name, encodeArray(p)]) }),
  };
}

export function decodeTrainingCheckpoint(c: EncodedTrainingCheckpoint): TrainingCheckpoint {
  return {
    ...decodeCheckpoint(c), epoch: c.epoch, seconds: c.seconds,
    best: { epoch: c.best.epoch, validationError: decodeNumber(c.best.validationError), testError: decodeNumber(c.best.testError) },
    ...(c.bestParams === undefined ? {} : { bestParams: new Map(c.bestParams.map(([name, p]) => [name, decodeArray(p)])) }),
  };
}

/** A number JSON can carry: non-finite values as their names. */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

export function decodeNumber(x: number | string | null): number {
  if (typeof x === 'number') return x;
  if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
  throw new Error(`internal: \`${String(x)}\` is not an encoded number`);
}

function encodeState(s: TrainState): EncodedState {
  return {
    step: s.step,
    params: [...s.params].map(([name, p]) => [name, encodeArray(p)]),
    slots: [...s.optimizer.slots].map(([name, slots]) => [name, slots.map(encodeArray)]),
  };
}

function decodeState(s: EncodedState): TrainState {
  return {
    step: s.step,
    params: new Map(s.params.map(([name, p]) => [name, decodeArray(p)])),
    optimizer: { slots: new Map(s.slots.map(([name, slots]) => [name, slots.map(decodeArray)])) },
  };
}

function encodeArray(a: Float64Array): string {
  const bytes = Buffer.alloc(a.length * 8);
  a.forEach((v, i) => bytes.writeDoubleLE(v, i * 8));
  return bytes.toString('base64');
}

function decodeArray(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0) throw new Error(`an encoded array has ${bytes.length} bytes, not a whole number of float64 values`);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}
