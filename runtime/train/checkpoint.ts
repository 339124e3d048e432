// Checkpoints: everything a training run needs to continue bit-identically — parameters, optimizer
// state, step and the batch-sampling Rng state. On disk (see docs/runtime.md, "Checkpoints"), a
// folder with `checkpoint.json` (metadata and a manifest of arrays) and `tensors.f64` (every array,
// float64 little-endian, concatenated in manifest order), so values round-trip exactly.
//
// Loading checks everything it can before a value is used — format, version, that the manifest's
// arrays tile tensors.f64 exactly — and says what is wrong and in which file
// (CheckpointError), so a damaged checkpoint is never mistaken for a good one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A checkpoint that cannot be used: `file` is the file at fault, `problem` what is wrong with it. */
export class CheckpointError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

export function loadCheckpoint(dir: string): Checkpoint {
  const manifest = readManifest(join(dir, 'checkpoint.json'));
  const tensorsFile = join(dir, 'tensors.f64');
  if (!existsSync(tensorsFile)) throw new CheckpointError(tensorsFile, 'the file is missing');
  const bytes = readFileSync(tensorsFile);
  const expected = manifest.arrays.reduce((n, e) => n + e.length, 0) * 8;
  if (bytes.length !== expected) {
    throw new CheckpointError(tensorsFile, `holds ${bytes.length} bytes, but its manifest describes ${expected} (truncated or overwritten)`);
  }
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

/** checkpoint.json, checked: parseable, this format and version, and arrays that tile tensors.f64 in order. */
function readManifest(file: string): Manifest {
  if (!existsSync(file)) throw new CheckpointError(file, 'the file is missing');
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
  } catch (e) {
    throw new CheckpointError(file, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (manifest.format !== FORMAT) throw new CheckpointError(file, `is not a gmn checkpoint (format ${String(manifest.format)})`);
  if (manifest.version !== VERSION) throw new CheckpointError(file, `has checkpoint version ${String(manifest.version)}; this gmn reads version ${VERSION}`);
  if (!Number.isInteger(manifest.step) || !Number.isInteger(manifest.batchSize) || !Array.isArray(manifest.arrays) || manifest.rng === undefined) {
    throw new CheckpointError(file, 'lacks its step, batch size, Rng state or array list');
  }
  let offset = 0;
  for (const e of manifest.arrays) {
    if (e.offset !== offset || !Number.isInteger(e.length) || e.length < 0 || (e.kind !== 'param' && e.kind !== 'slot')) {
      throw new CheckpointError(file, `its array list is inconsistent at \`${String(e.name)}\``);
    }
    offset += e.length;
  }
  return manifest as Manifest;
}
