// The content-addressed cache of fitted INRs: a second request is a hit with the same arrays, a
// changed setting is another entry, and a damaged file is refitted (with the reason), never used.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { cachedFits, type InrFitKey } from '../../runtime/inr/cache.js';
import { tempDir } from '../fixtures/temp-dir.js';

const layout = mlpLayout('Inr', { kind: 'mlp', widths: [2, 4, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
const key: InrFitKey = { target: layout.spec, images: 'mnist', count: 3, steps: 10, lr: 0.005, batch: 3, seed: 0 };

/** A stand-in for fitting: deterministic arrays, and a count of calls. */
function fitter() {
  let calls = 0;
  const fit = () => {
    calls++;
    return Promise.resolve({ theta: Float32Array.from({ length: 3 * layout.paramCount }, (_, i) => i / 7), psnr: Float32Array.of(30, 31, 32) });
  };
  return { fit, calls: () => calls };
}

describe('the INR fit cache', () => {
  it('fits once, then hits with the same arrays; another key is another entry', async () => {
    const root = tempDir('gmn-inr-cache-');
    const f = fitter();
    const first = await cachedFits(layout, key, f.fit, root);
    expect(first.outcome).toEqual({ kind: 'fitted', reason: 'not in the cache' });
    const again = await cachedFits(layout, key, f.fit, root);
    expect(again.outcome).toEqual({ kind: 'hit' });
    expect(f.calls()).toBe(1);
    expect([...again.fits.theta]).toEqual([...first.fits.theta]);
    expect([...again.fits.psnr]).toEqual([30, 31, 32]);
    const other = await cachedFits(layout, { ...key, steps: 11 }, f.fit, root);
    expect(other.dir).not.toBe(first.dir);
    expect(f.calls()).toBe(2);
  });

  it('refits a damaged entry and says why', async () => {
    const root = tempDir('gmn-inr-cache-');
    const f = fitter();
    const { dir } = await cachedFits(layout, key, f.fit, root);
    writeFileSync(join(dir, 'theta.f32'), Buffer.alloc(3 * layout.paramCount * 4));
    const refit = await cachedFits(layout, key, f.fit, root);
    expect(refit.outcome).toEqual({ kind: 'fitted', reason: 'theta.f32 does not match its checksum' });
    writeFileSync(join(dir, 'psnr.f32'), Buffer.alloc(5));
    expect((await cachedFits(layout, key, f.fit, root)).outcome).toEqual({ kind: 'fitted', reason: `psnr.f32 has 5 bytes, expected ${4 * key.count}` });
    writeFileSync(join(dir, 'manifest.json'), '{');
    expect((await cachedFits(layout, key, f.fit, root)).outcome).toEqual({ kind: 'fitted', reason: 'the cached manifest is unreadable' });
    expect((await cachedFits(layout, key, f.fit, root)).outcome).toEqual({ kind: 'hit' });
  });
});
