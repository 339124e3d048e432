// The on-disk cache of generated curvature datasets: .cache/gmn/curvature/<hash>/ under the working
// directory, where <hash> covers everything the data depends on (the target's spec, the data config,
// the label kind and GENERATOR_VERSION). A directory holds one float32 file per array (the platform's
// byte order, recorded in the manifest)
// and manifest.json (shapes, byte sizes, SHA-256 of every file), written last: files are written to a
// temporary name and renamed, so a crash never leaves a file that looks complete. A cache whose
// manifest is missing or does not match, or whose files have the wrong size or checksum, is
// regenerated, never used.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import { generateCurvatureData, type CurvatureData, type Progress } from './curvature.js';
import { labelWidth } from './labels.js';

/** Bump whenever generation changes what it produces for the same key (invalidates every cache). */
export const GENERATOR_VERSION = 1;

export const DEFAULT_CACHE_ROOT = join('.cache', 'gmn', 'curvature');

export interface CacheOptions {
  /** Directory holding one folder per dataset (default `.cache/gmn/curvature` in the working directory). */
  root?: string;
  /** Called after each generated model (not on a cache hit). */
  progress?: Progress;
}

export type CacheOutcome = { kind: 'hit' } | { kind: 'generated'; reason: string };

export interface CachedData {
  data: CurvatureData;
  /** The dataset's cache directory. */
  dir: string;
  outcome: CacheOutcome;
}

type ArrayName = 'theta' | 'mixture' | 'grads' | 'labels';
const ARRAYS: readonly ArrayName[] = ['theta', 'mixture', 'grads', 'labels'];

interface Manifest {
  format: 'gmn-curvature-data';
  version: number;
  endianness: 'BE' | 'LE';
  key: CacheKey;
  files: Record<ArrayName, { file: string; shape: number[]; bytes: number; sha256: string }>;
}

interface CacheKey {
  target: TargetLayout['spec'];
  data: DataConfig;
  label: LabelKind;
}

/** The dataset for (target, config, label), from the cache when it is there and sound, else generated and stored. */
export function loadCurvatureData(layout: TargetLayout, config: DataConfig, label: LabelKind, options: CacheOptions = {}): CachedData {
  const key: CacheKey = { target: layout.spec, data: config, label };
  const dir = cacheDir(key, options.root ?? DEFAULT_CACHE_ROOT);
  const shapes = arrayShapes(layout, config, label);
  const found = readCache(dir, key, shapes);
  if (found.ok) {
    const a = found.arrays;
    const data: CurvatureData = {
      layout, config, label, models: config.models, points: config.points, labelWidth: labelWidth(layout, label),
      theta: a.theta, mixture: a.mixture, grads: a.grads, labels: a.labels,
    };
    return { data, dir, outcome: { kind: 'hit' } };
  }
  const data = generateCurvatureData(layout, config, label, options.progress);
  writeCache(dir, key, shapes, data);
  return { data, dir, outcome: { kind: 'generated', reason: found.reason } };
}

/** The cache directory of a dataset: <root>/<first 16 hex digits of SHA-256(version, key)>. */
export function cacheDir(key: CacheKey, root: string): string {
  const hash = createHash('sha256').update(JSON.stringify({ version: GENERATOR_VERSION, key })).digest('hex').slice(0, 16);
  return resolve(root, hash);
}

function arrayShapes(layout: TargetLayout, config: DataConfig, label: LabelKind): Record<ArrayName, number[]> {
  return {
    theta: [config.models, layout.paramCount],
    mixture: [config.models],
    grads: [config.models, config.points, layout.neuronCount, 2],
    labels: [config.models, labelWidth(layout, label)],
  };
}

type ReadResult = { ok: true; arrays: Record<ArrayName, Float32Array> } | { ok: false; reason: string };

function readCache(dir: string, key: CacheKey, shapes: Record<ArrayName, number[]>): ReadResult {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { ok: false, reason: 'not in the cache' };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return { ok: false, reason: 'the cached manifest is unreadable' };
  }
  if (manifest.format !== 'gmn-curvature-data' || manifest.version !== GENERATOR_VERSION || manifest.endianness !== endianness() || JSON.stringify(manifest.key) !== JSON.stringify(key)) {
    return { ok: false, reason: 'the cached manifest is for another generator version, byte order or spec' };
  }
  const arrays: Partial<Record<ArrayName, Float32Array>> = {};
  for (const name of ARRAYS) {
    const entry = manifest.files?.[name];
    const bytes = 4 * shapes[name].reduce((x, y) => x * y, 1);
    const path = join(dir, `${name}.f32`);
    if (entry === undefined || entry.bytes !== bytes || JSON.stringify(entry.shape) !== JSON.stringify(shapes[name])) {
      return { ok: false, reason: `the cached manifest's entry for ${name} does not match the spec` };
    }
    if (!existsSync(path)) return { ok: false, reason: `${name}.f32 is missing from the cache` };
    const size = statSync(path).size;
    if (size !== bytes) return { ok: false, reason: `${name}.f32 has ${size} bytes, expected ${bytes}` };
    const buffer = readFileSync(path);
    if (sha256(buffer) !== entry.sha256) return { ok: false, reason: `${name}.f32 does not match its checksum` };
    arrays[name] = toFloat32(buffer);
  }
  return { ok: true, arrays: arrays as Record<ArrayName, Float32Array> };
}

function writeCache(dir: string, key: CacheKey, shapes: Record<ArrayName, number[]>, data: CurvatureData): void {
  mkdirSync(dir, { recursive: true });
  // The manifest goes first and comes back last: while it is absent, nothing here is trusted.
  rmSync(join(dir, 'manifest.json'), { force: true });
  const files = {} as Manifest['files'];
  for (const name of ARRAYS) {
    const array = data[name];
    const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    const file = `${name}.f32`;
    writeAtomically(join(dir, file), bytes);
    files[name] = { file, shape: shapes[name], bytes: bytes.byteLength, sha256: sha256(bytes) };
  }
  const manifest: Manifest = { format: 'gmn-curvature-data', version: GENERATOR_VERSION, endianness: endianness(), key, files };
  writeAtomically(join(dir, 'manifest.json'), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A float32 view of file bytes (copied when the buffer is not 4-byte aligned). */
function toFloat32(buffer: Buffer): Float32Array {
  if (buffer.byteOffset % 4 === 0) return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  return new Float32Array(new Uint8Array(buffer).buffer);
}
