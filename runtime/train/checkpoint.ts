// Checkpoints: everything a training run needs to continue bit-identically — parameters, optimizer
// state, step and the batch-sampling Rng state. On disk (see docs/runtime.md, "Checkpoints"), a
// folder with `checkpoint.json` (metadata and a manifest of arrays) and `tensors.f64` (every array,
// float64 little-endian, concatenated in manifest order), so values round-trip exactly.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RngState } from '../util/rng.js';
import type { TrainState } from './executor.js';

export interface Checkpoint {
  state: TrainState;
  rng: RngState;
  batchSize: number;
}

const FORMAT = 'gmn-checkpoint';
const VERSION = 1;

interface ArrayEntry {
  /** `param` or `slot`, the param name, and for slots the slot index. */
  kind: 'param' | 'slot';
  name: string;
  slot?: number;
  /** Offset and length in float64 elements within tensors.f64. */
  offset: number;
  length: number;
}

interface Manifest {
  format: typeof FORMAT;
  version: number;
  step: number;
  batchSize: number;
  rng: RngState;
  arrays: ArrayEntry[];
}

export function saveCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const arrays: ArrayEntry[] = [];
  const chunks: Float64Array[] = [];
  let offset = 0;
  const add = (entry: Omit<ArrayEntry, 'offset' | 'length'>, data: Float64Array): void => {
    arrays.push({ ...entry, offset, length: data.length });
    chunks.push(data);
    offset += data.length;
  };
  for (const [name, p] of checkpoint.state.params) add({ kind: 'param', name }, p);
  for (const [name, slots] of checkpoint.state.optimizer.slots) slots.forEach((s, slot) => add({ kind: 'slot', name, slot }, s));
  const bytes = Buffer.alloc(offset * 8);
  let at = 0;
  for (const chunk of chunks) for (const v of chunk) at = bytes.writeDoubleLE(v, at);
  const manifest: Manifest = { format: FORMAT, version: VERSION, step: checkpoint.state.step, batchSize: checkpoint.batchSize, rng: checkpoint.rng, arrays };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tensors.f64'), bytes);
  writeFileSync(join(dir, 'checkpoint.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function loadCheckpoint(dir: string): Checkpoint {
  const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as Manifest;
  if (manifest.format !== FORMAT || manifest.version !== VERSION) {
    throw new Error(`${dir} is not a gmn checkpoint (format ${manifest.format} version ${manifest.version})`);
  }
  const bytes = readFileSync(join(dir, 'tensors.f64'));
  const read = (e: ArrayEntry): Float64Array => Float64Array.from({ length: e.length }, (_, i) => bytes.readDoubleLE((e.offset + i) * 8));
  const params = new Map<string, Float64Array>();
  const slots = new Map<string, Float64Array[]>();
  for (const e of manifest.arrays) {
    if (e.kind === 'param') params.set(e.name, read(e));
    else {
      const list = slots.get(e.name) ?? [];
      list[e.slot!] = read(e);
      slots.set(e.name, list);
    }
  }
  return { state: { params, optimizer: { slots }, step: manifest.step }, rng: manifest.rng, batchSize: manifest.batchSize };
}
