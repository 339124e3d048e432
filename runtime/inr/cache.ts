// The on-disk cache of fitted INR datasets: .cache/gmn/inr/<hash>/ under the working directory,
// where <hash> covers everything the fit depends on (the target's spec, the image collection, the
// count, the fitting settings, the seed and FIT_VERSION). A folder holds theta.f32 ([count, P]),
// psnr.f32 ([count]) and manifest.json (shapes, byte order, SHA-256 of each file), written last
// through a temporary name: a folder without a sound manifest is refitted, never used.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { FittedInrs } from './fit.js';
import type { ImageSource } from './images.js';

/** Bump whenever fitting changes what it produces for the same key. */
export const FIT_VERSION = 1;
export const INR_CACHE_ROOT = join('.cache', 'gmn', 'inr');

export interface InrFitKey {
  target: TargetLayout['spec'];
  images: ImageSource;
  count: number;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
}

type ArrayName = 'theta' | 'psnr';

interface Manifest {
  format: 'gmn-inr-fits';
  version: number;
  endianness: 'BE' | 'LE';
  key: InrFitKey;
  files: Record<ArrayName, { shape: number[]; bytes: number; sha256: string }>;
}

export type CachedFits = { fits: FittedInrs; dir: string; outcome: { kind: 'hit' } | { kind: 'fitted'; reason: string } };

/** The fitted INRs of `key`, from the cache when sound, else from `fit` (then stored). */
export async function cachedFits(layout: TargetLayout, key: InrFitKey, fit: () => Promise<FittedInrs>, root = INR_CACHE_ROOT): Promise<CachedFits> {
  const hash = createHash('sha256').update(JSON.stringify({ version: FIT_VERSION, key })).digest('hex').slice(0, 16);
  const dir = resolve(root, hash);
  const shapes: Record<ArrayName, number[]> = { theta: [key.count, layout.paramCount], psnr: [key.count] };
  const found = read(dir, key, shapes);
  if (found.ok) return { fits: found.fits, dir, outcome: { kind: 'hit' } };
  const fits = await fit();
  write(dir, key, shapes, fits);
  return { fits, dir, outcome: { kind: 'fitted', reason: found.reason } };
}

function read(dir: string, key: InrFitKey, shapes: Record<ArrayName, number[]>): { ok: true; fits: FittedInrs } | { ok: false; reason: string } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { ok: false, reason: 'not in the cache' };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return { ok: false, reason: 'the cached manifest is unreadable' };
  }
  if (manifest.format !== 'gmn-inr-fits' || manifest.version !== FIT_VERSION || manifest.endianness !== endianness() || JSON.stringify(manifest.key) !== JSON.stringify(key)) {
    return { ok: false, reason: 'the cached manifest is for another version, byte order or key' };
  }
  const arrays: Partial<Record<ArrayName, Float32Array>> = {};
  for (const name of ['theta', 'psnr'] as const) {
    const entry = manifest.files?.[name];
    const bytes = 4 * shapes[name].reduce((a, b) => a * b, 1);
    const path = join(dir, `${name}.f32`);
    if (entry === undefined || entry.bytes !== bytes) return { ok: false, reason: `the manifest's entry for ${name} does not match` };
    if (!existsSync(path) || statSync(path).size !== bytes) return { ok: false, reason: `${name}.f32 is missing or has the wrong size` };
    const buffer = readFileSync(path);
    if (sha256(buffer) !== entry.sha256) return { ok: false, reason: `${name}.f32 does not match its checksum` };
    arrays[name] = new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  }
  return { ok: true, fits: { theta: arrays.theta!, psnr: arrays.psnr! } };
}

function write(dir: string, key: InrFitKey, shapes: Record<ArrayName, number[]>, fits: FittedInrs): void {
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, 'manifest.json'), { force: true });
  const files = {} as Manifest['files'];
  for (const name of ['theta', 'psnr'] as const) {
    const a = fits[name];
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    atomic(join(dir, `${name}.f32`), bytes);
    files[name] = { shape: shapes[name], bytes: bytes.byteLength, sha256: sha256(bytes) };
  }
  const manifest: Manifest = { format: 'gmn-inr-fits', version: FIT_VERSION, endianness: endianness(), key, files };
  atomic(join(dir, 'manifest.json'), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
}

function atomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
