// `gmn run FILE --dump-data DIR`: the curvature dataset as it is trained on, checked from Python with
// numpy alone: each model's Γ_b set recomputed by an independent numpy SIREN from its θ and the set's
// points (Γ's input channel holds x), the fisher_diag labels from θ and the label points, the splits
// tiling the models, and every normalisation statistic refitted on its training set. Fixture: tests/fixtures/verify-trained.gmn (16 models, 8 points each).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/cli/commands/run.js';
import type { DataManifest } from '../../runtime/tasks/dump-data.js';
import { capture } from '../cli/capture.js';
import { numpyMissing, runPython } from '../fixtures/python.js';

const FIXTURE = 'tests/fixtures/verify-trained.gmn';
const work = mkdtempSync(join(tmpdir(), 'gmn-dump-data-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const missing = numpyMissing('the numpy dataset checks are skipped');

const ORACLE = String.raw`
import json, sys, numpy as np
d = sys.argv[1]
m = json.load(open(d + '/manifest.json'))
load = lambda k: np.load(d + '/' + m['arrays'][k]['file'])
G, theta, labels = load('grads').astype(np.float64), load('theta').astype(np.float64), load('labels').astype(np.float64)
M, b = G.shape[0], G.shape[1]
seg, L = m['segments'], len(m['spec']['widths']) - 1
w0 = m['spec']['activation']['omega0']
def part(l): return slice(seg[l]['offset'], seg[l]['offset'] + seg[l]['size'])
def block(l, weight):
    p = next(p for p in m['params'] if p['rowSegment'] == l and (p['cols'] is not None) == weight)
    v = theta[:, p['offset']:p['offset'] + p['rows'] * (p['cols'] or 1)]
    return v.reshape(M, p['rows'], p['cols']) if weight else v
# Forward and backward of f (the loss is the output itself) at points x [M, K, d_0]: a^l and g^l.
def backprop(x):
    a, u = [x], []
    for l in range(1, L + 1):
        z = np.einsum('mpq,mkq->mkp', block(l, True), a[-1]) + block(l, False)[:, None, :]
        u.append(z); a.append(np.sin(w0 * z) if l < L else z)
    g = [None] * (L + 1); g[L] = np.ones_like(a[L])
    for l in range(L - 1, 0, -1):
        g[l] = np.einsum('mpq,mkp->mkq', block(l + 1, True), g[l + 1]) * w0 * np.cos(w0 * u[l - 1])
    return a, g
# Γ's hidden channels from θ and the set's points, which Γ's input segment holds (channel 0).
a, g = backprop(G[:, :, part(0), 0])
worst_hidden = max(max(np.abs(G[:, :, part(l), 0] - a[l]).max(), np.abs(G[:, :, part(l), 1] - g[l]).max()) / np.abs(G).max() for l in range(1, L))
# The fisher_diag labels: mean over the fresh points of (∇_θ f)², θ's layout order (W_l row-major, b_l).
a, g = backprop(load('label_inputs'))
per_point = np.concatenate([np.concatenate([np.einsum('mkp,mkq->mkpq', g[l], a[l - 1]).reshape(M, a[0].shape[1], -1), g[l]], 2) for l in range(1, L + 1)], 2)
fisher = (per_point ** 2).mean(1)
worst_label = float(np.abs(fisher - labels).max() / np.abs(fisher).max()) if m['label'] == 'fisher_diag' else None
boundary_ok = bool((G[:, :, part(0), 1] == G[:, :, part(0), 0]).all() and (G[:, :, part(L), :] == 1).all())
# Normalisation refitted on each training set: per segment of Γ rows, per block of θ, labels overall.
s = m['splits']
worst_stats = 0.0
for size, n in m['normalisation'].items():
    train = slice(s['train']['start'], s['train']['start'] + int(size))
    rows = G[train].reshape(-1, m['neuronCount'] * 2)
    for r in n['grads'] + [dict(n['labels'], table='labels')] + [dict(t, table='theta') for t in n['theta']]:
        src = labels[train] if r.get('table') == 'labels' else theta[train] if r.get('table') == 'theta' else rows
        v = src[:, r['start']:r['end']]
        std = v.std() if v.std() > 0 else 1.0
        worst_stats = max(worst_stats, abs(v.mean() - r['mean']) / std, abs(std - r['std']) / std)
tiled = s['test']['start'] == 0 and s['validation']['start'] == s['test']['count'] and s['train']['start'] == s['validation']['start'] + s['validation']['count'] and s['train']['start'] + s['train']['count'] <= M
print(json.dumps({'hidden': float(worst_hidden), 'labels': worst_label, 'boundary': boundary_ok, 'stats': float(worst_stats), 'tiled': bool(tiled)}))
`;

describe('gmn run --dump-data', () => {
  it.skipIf(missing !== null)('writes the Γ_b sets, θ, labels, label points, splits and per-size normalisation that numpy recomputes', async () => {
    const dir = join(work, 'data');
    const out = await capture(runCommand, FIXTURE, '--dump-data', dir, '--preset', 'narrow');
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`dumped the dataset of task verify_trained (preset narrow) to ${dir}: grads [16, 8, 10, 2], theta [16, 33], labels [16, 33], mixture [16], label_inputs [16, 16, 1]\n`);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DataManifest;
    expect(manifest.label).toBe('fisher_diag');
    expect(manifest.splits).toEqual({ test: { start: 0, count: 4 }, validation: { start: 4, count: 4 }, train: { start: 8, count: 8 } });
    const checked = runPython<{ hidden: number; labels: number; boundary: boolean; stats: number; tiled: boolean }>(ORACLE, dir);
    expect(checked.boundary).toBe(true);
    expect(checked.tiled).toBe(true);
    expect(checked.hidden).toBeLessThan(1e-5); // float32 storage of θ and Γ
    expect(checked.labels).toBeLessThan(1e-5);
    expect(checked.stats).toBeLessThan(1e-9);
  });

  it('refuses a path that is a file, with a hint', async () => {
    const file = join(work, 'taken');
    writeFileSync(file, 'x');
    const out = await capture(runCommand, FIXTURE, '--dump-data', file);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(`gmn run: error: cannot dump the dataset into ${file}: it is a file\n  hint: give --dump-data a directory path (it is created if missing)\n`);
  });
});
