import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateCurvatureData, loadCurvatureData } from '../../runtime/data/index.js';
import { bytesOf, dataConfig, siren } from './fixtures.js';

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gmn-data-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('curvature data cache', () => {
  it('generates on a miss (with progress), then hits with the same bytes', () => {
    const seen: [number, number][] = [];
    const first = loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root, progress: (d, t) => seen.push([d, t]) });
    expect(first.outcome).toEqual({ kind: 'generated', reason: 'not in the cache' });
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, 12]));
    expect(readdirSync(first.dir).sort()).toEqual(['grads.f32', 'labels.f32', 'manifest.json', 'mixture.f32', 'theta.f32']);

    const calls: number[] = [];
    const second = loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root, progress: (d) => calls.push(d) });
    expect(second.outcome).toEqual({ kind: 'hit' });
    expect(second.dir).toBe(first.dir);
    expect(calls).toEqual([]);
    const fresh = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    for (const key of ['theta', 'mixture', 'grads', 'labels'] as const) {
      expect(bytesOf(second.data[key]).equals(bytesOf(fresh[key]))).toBe(true);
    }
  });

  it('a changed spec (data config, label kind, target) is a different cache entry', () => {
    const base = loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root });
    const otherSeed = loadCurvatureData(siren, dataConfig({ seed: 9 }), 'fisher_diag', { root });
    const otherLabel = loadCurvatureData(siren, dataConfig(), 'fisher_trace', { root });
    const spec = { ...siren.spec, activation: { kind: 'sine' as const, omega0: 2 } };
    const otherTarget = loadCurvatureData({ ...siren, spec }, dataConfig(), 'fisher_diag', { root });
    for (const r of [otherSeed, otherLabel, otherTarget]) {
      expect(r.outcome.kind).toBe('generated');
      expect(r.dir).not.toBe(base.dir);
    }
    expect(bytesOf(otherTarget.data.labels).equals(bytesOf(base.data.labels))).toBe(false);
    expect(loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root }).outcome).toEqual({ kind: 'hit' });
  });

  it('regenerates a truncated file, a corrupted file and a damaged manifest instead of using them', () => {
    const first = loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root });
    const grads = join(first.dir, 'grads.f32');
    const size = readFileSync(grads).length;
    truncateSync(grads, size - 4);
    const truncated = loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root });
    expect(truncated.outcome).toEqual({ kind: 'generated', reason: `grads.f32 has ${size - 4} bytes, expected ${size}` });
    expect(bytesOf(truncated.data.grads).equals(bytesOf(first.data.grads))).toBe(true);
    expect(loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root }).outcome).toEqual({ kind: 'hit' });

    const labels = join(first.dir, 'labels.f32');
    const bytes = readFileSync(labels);
    bytes[5] = bytes[5]! ^ 0xff;
    writeFileSync(labels, bytes);
    expect(loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root }).outcome)
      .toEqual({ kind: 'generated', reason: 'labels.f32 does not match its checksum' });

    writeFileSync(join(first.dir, 'manifest.json'), '{"format": "gmn-curv');
    expect(loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root }).outcome)
      .toEqual({ kind: 'generated', reason: 'the cached manifest is unreadable' });

    rmSync(join(first.dir, 'theta.f32'));
    expect(loadCurvatureData(siren, dataConfig(), 'fisher_diag', { root }).outcome)
      .toEqual({ kind: 'generated', reason: 'theta.f32 is missing from the cache' });
    expect(readdirSync(first.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
