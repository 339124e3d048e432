// The fitted INRs of a queued INR-editing run, shared with its workers through Redis: the submitter
// publishes each image collection's fits (assembled from the fitting jobs, or found in its cache)
// before it queues the training jobs, one key per fitting batch (`gmn:<queue>:inr-fits:<hash>:<start>`,
// <hash> the content hash of everything the fit depends on, as the cache's folder), and removes
// them when the run is over; a worker that trains an editor reads them once into its own cache.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { FIT_VERSION, type InrFitKey } from '../inr/cache.js';
import type { FittedInrs } from '../inr/fit.js';
import { base64, fromBase64 } from '../tasks/inr-editing/jobs.js';

/** The keys of a collection's fits, one per fitting batch. */
export function fitsKeys(prefix: string, queue: string, key: InrFitKey): string[] {
  const hash = createHash('sha256').update(JSON.stringify({ version: FIT_VERSION, key })).digest('hex').slice(0, 16);
  return Array.from({ length: Math.ceil(key.count / key.batch) }, (_, i) => `${prefix}:${queue}:inr-fits:${hash}:${i * key.batch}`);
}

/** Publishes the fits, batch by batch, under `keys`. */
export async function publishFits(client: Redis, keys: readonly string[], key: InrFitKey, layout: TargetLayout, fits: FittedInrs): Promise<void> {
  const P = layout.paramCount;
  for (const [i, name] of keys.entries()) {
    const start = i * key.batch;
    const end = Math.min(start + key.batch, key.count);
    await client.set(name, JSON.stringify({ theta: base64(fits.theta.subarray(start * P, end * P)), psnr: base64(fits.psnr.subarray(start, end)) }));
  }
}

/** Reads the fits back; throws saying which batch is missing or malformed. */
export async function fetchFits(client: Redis, keys: readonly string[], key: InrFitKey, layout: TargetLayout): Promise<FittedInrs> {
  const P = layout.paramCount;
  const theta = new Float32Array(key.count * P);
  const psnr = new Float32Array(key.count);
  for (const [i, name] of keys.entries()) {
    const start = i * key.batch;
    const n = Math.min(key.batch, key.count - start);
    const text = await client.get(name);
    if (text === null) throw new Error(`the fitted ${key.images} INRs ${start}… are not in Redis (${name}); the submitter publishes them before it queues the training jobs`);
    const stored = JSON.parse(text) as { theta?: unknown; psnr?: unknown };
    const t = typeof stored.theta === 'string' ? fromBase64(stored.theta) : new Float32Array(0);
    const p = typeof stored.psnr === 'string' ? fromBase64(stored.psnr) : new Float32Array(0);
    if (t.length !== n * P || p.length !== n) throw new Error(`the fitted INRs in ${name} are not ${n} INRs of ${P} parameters`);
    theta.set(t, start * P);
    psnr.set(p, start);
  }
  return { theta, psnr };
}
