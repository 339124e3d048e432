import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cnnLayout } from '../../compiler/spaces/cnn.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { cnnLosses } from '../../runtime/targets/cnn.js';
import { dumpGrads, mlpGradBundle, transformerGradBundle, type GradManifest } from '../../runtime/targets/dump.js';
import { DataError } from '../../runtime/targets/errors.js';
import { mlpGradients } from '../../runtime/targets/mlp.js';
import { initMlp } from '../../runtime/targets/mlp-init.js';
import { decodeNpy, encodeNpy } from '../../runtime/targets/npy.js';
import { transformerGradients } from '../../runtime/targets/transformer.js';
import { dumpTargetGradients } from '../../runtime/tasks/dump-grads.js';
import { Rng } from '../../runtime/util/rng.js';
import { B, setup, T } from './transformer-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';

const hasNumpy = ((): boolean => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('.npy writer', () => {
  it('writes a 64-byte-aligned v1.0 header and round-trips float32, float64 and int32 arrays', () => {
    const values = [1.5, -2.25, 3e-8, 1e30, 0, -0];
    for (const dtype of ['float32', 'float64', 'int32'] as const) {
      const vals = dtype === 'int32' ? [1, -2, 3, 2 ** 31 - 1, 0, -(2 ** 31)] : values;
      const bytes = encodeNpy(vals, [2, 3], dtype);
      const headerLength = bytes[8]! + 256 * bytes[9]!;
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes[10 + headerLength - 1]).toBe(0x0a);
      const back = decodeNpy(bytes);
      expect(back.shape).toEqual([2, 3]);
      expect(back.dtype).toBe(dtype);
      expect(Array.from(back.data)).toEqual(dtype === 'float32' ? Array.from(Float32Array.from(vals)) : vals);
    }
    expect(decodeNpy(encodeNpy([7], [1], 'float64')).shape).toEqual([1]);
  });

  it.skipIf(!hasNumpy)('is read by numpy.load with the right dtype, shape and values', () => {
    const dir = tempDir('gmn-npy-');
    writeFileSync(join(dir, 'a.npy'), encodeNpy([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [3, 2], 'float64'));
    const out = execFileSync('python3', ['-c', `import numpy as np; a = np.load('${join(dir, 'a.npy')}'); print(a.dtype, a.shape, repr(float(a[2, 1])))`]).toString().trim();
    expect(out).toBe('float64 (3, 2) 0.6');
  });
});

describe('gradient dumps', () => {
  it('writes factors, gradients and a manifest that describe each other (mlp)', () => {
    const layout = mlpLayout('Siren', { kind: 'mlp', widths: [2, 8, 8, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
    const rng = new Rng(1);
    const theta = initMlp(layout, rng);
    const inputs = Float64Array.from({ length: 10 }, () => rng.range(-1, 1));
    const grads = mlpGradients(layout, { count: 5, inputs, theta }, { kind: 'output' });
    const dir = join(tempDir('gmn-dump-'), 'run1');
    const manifest = dumpGrads(layout, mlpGradBundle(layout, grads), dir, { dtype: 'float64' });
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GradManifest;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(onDisk.arrays['factors']).toEqual({ file: 'factors.npy', shape: [5, layout.neuronCount, 2] });
    expect(onDisk.arrays['grads']!.shape).toEqual([5, layout.paramCount]);
    const factors = decodeNpy(readFileSync(join(dir, 'factors.npy')));
    expect(Array.from(factors.data)).toEqual(Array.from(grads.factors));
  });

  it.skipIf(!hasNumpy)('lets a Python user rebuild per-example gradients from factors and the manifest (transformer, float32)', () => {
    const { layout, theta, tokens, targets } = setup('pre', 9);
    const grads = transformerGradients(layout, { sequences: B, length: T, tokens, theta }, targets);
    const dir = tempDir('gmn-dump-');
    dumpGrads(layout, transformerGradBundle(layout, grads), dir);
    // Only the manifest and numpy: weight blocks Σ_t g_row a_colᵀ, biases Σ_t g_row (gains excluded).
    const script = `
import json, sys, numpy as np
d = sys.argv[1]
m = json.load(open(d + '/manifest.json'))
G = np.load(d + '/factors.npy').astype(np.float64)
W = np.load(d + '/grads.npy').astype(np.float64)
G = G.reshape(m['examples'], m['itemsPerExample'], m['neuronCount'], 2)
worst = 0.0
for blk in m['params']:
    if blk['name'].endswith('.gain'): continue
    r = m['segments'][blk['rowSegment']]
    g = G[:, :, r['offset']:r['offset'] + r['size'], 1]
    if blk['cols'] is None:
        rebuilt = g.sum(axis=1)
    else:
        c = m['segments'][blk['colSegment']]
        a = G[:, :, c['offset']:c['offset'] + c['size'], 0]
        rebuilt = np.einsum('btp,btq->bpq', g, a).reshape(m['examples'], -1)
    size = blk['rows'] * (blk['cols'] or 1)
    got = W[:, blk['offset']:blk['offset'] + size]
    worst = max(worst, np.abs(rebuilt - got).max() / np.abs(W).max())  # b_K's gradient is 0: use W's scale
print(G.dtype, worst)
`;
    const [, worst] = execFileSync('python3', ['-c', script, dir]).toString().trim().split(' ');
    expect(Number(worst)).toBeLessThan(1e-4); // float32 storage
  });

  it('a transformer dump holds θ, the token ids it was fed and its next-token targets (int32)', () => {
    const { layout } = setup('pre', 9);
    const dir = tempDir('gmn-dump-');
    const manifest = dumpTargetGradients({ layout, dir, count: B, seed: 4 });
    expect(manifest.loss).toBe('next_token_nll');
    expect(manifest.arrays['theta']!.shape).toEqual([layout.paramCount]);
    const inputs = decodeNpy(readFileSync(join(dir, 'inputs.npy')));
    const targets = decodeNpy(readFileSync(join(dir, 'targets.npy')));
    expect([inputs.dtype, targets.dtype]).toEqual(['int32', 'int32']);
    expect([inputs.shape, targets.shape]).toEqual([[B, T], [B, T]]);
    // Each sequence's targets are its inputs shifted by one token.
    for (let s = 0; s < B; s++) {
      for (let t = 0; t + 1 < T; t++) expect(targets.data[s * T + t]).toBe(inputs.data[s * T + t + 1]);
    }
    // The dumped θ, tokens and targets reproduce the dumped losses.
    const theta = decodeNpy(readFileSync(join(dir, 'theta.npy'))).data;
    const again = transformerGradients(layout, { sequences: B, length: T, tokens: Array.from(inputs.data), theta: Float64Array.from(theta) }, Array.from(targets.data));
    const losses = decodeNpy(readFileSync(join(dir, 'losses.npy'))).data;
    for (let s = 0; s < B; s++) expect(Math.abs(again.losses[s]! - losses[s]!)).toBeLessThan(1e-5 * Math.abs(losses[s]!));
  });

  it('a CNN dump holds H·W position items per image, and its factors sum to its per-example gradients', () => {
    const layout = cnnLayout('Conv', { kind: 'cnn', channels: [2, 3], kernel: 3, height: 3, width: 4, head: [4, 1], activation: { kind: 'tanh' } });
    const dir = tempDir('gmn-dump-');
    const count = 3;
    const manifest = dumpTargetGradients({ layout, dir, count, seed: 2, dtype: 'float64' });
    expect([manifest.loss, manifest.examples, manifest.itemsPerExample]).toEqual(['output', count, 12]);
    expect(manifest.arrays['inputs']!.shape).toEqual([count, 2 * 12]);
    const load = (key: string) => decodeNpy(readFileSync(join(dir, `${key}.npy`))).data;
    const factors = load('factors');
    const grads = load('grads');
    expect(factors.length).toBe(count * 12 * layout.neuronCount * 2);
    // Every parameter's per-example gradient is the sum over the image's 12 items of its row's g times its column's a.
    const N = layout.neuronCount;
    const G = (t: number, n: number, c: number) => factors[(t * N + n) * 2 + c]!;
    let largest = 0;
    let worst = 0;
    for (let e = 0; e < count; e++) {
      for (const block of layout.params) {
        const row = layout.segments[block.rowSegment]!;
        const col = block.colSegment === null ? null : layout.segments[block.colSegment]!;
        for (let p = 0; p < block.rows; p++) {
          for (let q = 0; q < (block.cols ?? 1); q++) {
            let sum = 0;
            for (let t = e * 12; t < (e + 1) * 12; t++) sum += G(t, row.offset + p, 1) * (col === null ? 1 : G(t, col.offset + q, 0));
            const dumped = grads[e * layout.paramCount + block.offset + p * (block.cols ?? 1) + q]!;
            largest = Math.max(largest, Math.abs(dumped));
            worst = Math.max(worst, Math.abs(sum - dumped));
          }
        }
      }
    }
    expect(largest).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-12 * largest);
    // The dumped θ and images reproduce the dumped losses (the network's output: a scalar head).
    const again = cnnLosses(layout, { count, inputs: Float64Array.from(load('inputs')), theta: Float64Array.from(load('theta')) }, { kind: 'output' });
    expect(Array.from(again)).toEqual(Array.from(load('losses')));
  });

  it('refuses to dump into an existing file, with a hint', () => {
    const file = join(tempDir('gmn-dump-'), 'taken');
    writeFileSync(file, 'x');
    const layout = mlpLayout('M', { kind: 'mlp', widths: [1, 1], activation: { kind: 'relu' }, init: 'kaiming' });
    const bundle = { factors: new Float64Array(4), examples: 1, itemsPerExample: 1 };
    expect(() => dumpGrads(layout, bundle, file)).toThrow(DataError);
    expect(() => dumpGrads(layout, bundle, file)).toThrow(/it is a file/);
  });
});
