// The `gradient_files` data source end to end: numpy writes sets of per-example gradients (rank-1
// factors), θ and Fisher labels of tanh MLPs (tests/fixtures/gradient_dataset.py); `gmn run` trains a
// GradMetaNet on them (float64 reference executor) and reports it beside the standard estimator,
// whose error numpy recomputes from the same files; a second run resumes (nothing is redone); and
// malformed files are refused with the file named.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../runtime/targets/npy.js';
import { numpyMissing, runPython } from '../fixtures/python.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/gmn.mjs');
const FIXTURE = join(ROOT, 'tests/fixtures/gradient-files.gmn');
const skip = numpyMissing('the gradient_files task on a numpy-written dataset');

interface Result { model: string; trainSize: number; seed: number; testError: number; bestEpoch: number }

function gmn(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

function results(dir: string): Result[] {
  return readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Result);
}

/** The standard estimator's relative test MSE (MSE / Var of the test labels) on the first `test` sets, in numpy. */
const ESTIMATOR_ERROR = `
import sys, numpy as np
d, test = sys.argv[1], int(sys.argv[2])
factors = np.load(d + '/factors.npy').astype(np.float64)[:test]
labels = np.load(d + '/labels.npy').astype(np.float64)[:test]
widths, offsets = [2, 4, 4, 1], [0, 2, 6, 10]
blocks = []
for l in range(1, 4):
    a = factors[:, :, offsets[l - 1]:offsets[l - 1] + widths[l - 1], 0]
    g = factors[:, :, offsets[l]:offsets[l] + widths[l], 1]
    blocks += [np.einsum('mbp,mbq->mbpq', g, a).reshape(g.shape[0], g.shape[1], -1), g]
estimate = (np.concatenate(blocks, axis=2) ** 2).mean(axis=1)
print(((estimate - labels) ** 2).mean() / labels.var())
`;

describe.skipIf(skip !== null)('gradient_files task', () => {
  let work: string;
  let first: ReturnType<typeof gmn>;

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-gradient-files-');
    copyFileSync(FIXTURE, join(work, 'task.gmn'));
    const made = spawnSync('python3', [join(ROOT, 'tests/fixtures/gradient_dataset.py'), join(work, 'grads'), '160', '8', '3'], { encoding: 'utf8' });
    expect(made.stderr).toBe('');
    first = gmn(['run', 'task.gmn', '--out', 'run', '--backend', 'reference'], work);
  });

  it('trains a GradMetaNet on the files and reports it beside the standard estimator, whose error numpy reproduces', () => {
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain(`data: 160 sets of 8 gradients read from ${join(work, 'grads')}`);
    const rows = results(join(work, 'run'));
    expect(rows.map((r) => r.model).sort()).toEqual(['gradmetanet', 'standard_estimator', 'standard_estimator+recalibrated']);
    const byModel = new Map(rows.map((r) => [r.model, r]));
    const estimator = runPython<number>(ESTIMATOR_ERROR, join(work, 'grads'), '30');
    expect(Math.abs(byModel.get('standard_estimator')!.testError - estimator)).toBeLessThan(1e-4 * estimator);
    // Trained, GradMetaNet is far better than predicting the mean label (relative error 1).
    expect(byModel.get('gradmetanet')!.testError).toBeLessThan(0.5);
    const report = readFileSync(join(work, 'run', 'report.md'), 'utf8');
    expect(report).toMatch(/\| gradmetanet \| 1090 \|/);
    expect(report).toMatch(/Improvement over `standard_estimator`/);
  });

  it('resumes: a second run finds every result done and trains nothing', () => {
    const before = readFileSync(join(work, 'run', 'results.jsonl'), 'utf8');
    const again = gmn(['run', 'task.gmn', '--out', 'run', '--backend', 'reference'], work);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/done earlier/);
    expect(readFileSync(join(work, 'run', 'results.jsonl'), 'utf8')).toBe(before);
    expect(readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(30);
  });

  it('refuses to resume a run whose files have changed since', () => {
    const labels = join(work, 'grads', 'labels.npy');
    const original = readFileSync(labels);
    try {
      writeNpy(labels, new Float32Array(160 * 37).fill(2), [160, 37], 'float32');
      const r = gmn(['run', 'task.gmn', '--out', 'run', '--backend', 'reference'], work);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/holds a run of a different configuration/);
    } finally {
      writeFileSync(labels, original);
    }
    // The same files again: the run is the same configuration.
    expect(gmn(['run', 'task.gmn', '--out', 'run', '--backend', 'reference'], work).status).toBe(0);
  });

  it('refuses missing and malformed files, naming the file', () => {
    const refused = (name: string, damage: (grads: string) => void): string => {
      const dir = join(work, name);
      cpSync(join(work, 'grads'), join(dir, 'grads'), { recursive: true });
      copyFileSync(FIXTURE, join(dir, 'task.gmn'));
      damage(join(dir, 'grads'));
      const r = gmn(['run', 'task.gmn', '--out', 'run', '--backend', 'reference'], dir);
      expect(r.status).toBe(1);
      return r.stderr;
    };
    expect(refused('no-labels', (g) => rmSync(join(g, 'labels.npy')))).toContain(`gmn run: error: the gradient dataset has no ${join(work, 'no-labels', 'grads', 'labels.npy')}`);
    expect(refused('wide-theta', (g) => writeNpy(join(g, 'theta.npy'), new Float32Array(160 * 38), [160, 38], 'float32')))
      .toContain(`${join(work, 'wide-theta', 'grads', 'theta.npy')} has shape [160, 38], expected [160, 37]`);
    expect(refused('not-npy', (g) => writeFileSync(join(g, 'factors.npy'), 'text')))
      .toContain(`${join(work, 'not-npy', 'grads', 'factors.npy')} is not a readable .npy array`);
    expect(refused('nan', (g) => {
      const labels = new Float32Array(160 * 37).fill(1);
      labels[5 * 37 + 3] = Number.NaN;
      writeNpy(join(g, 'labels.npy'), labels, [160, 37], 'float32');
    })).toContain(`${join(work, 'nan', 'grads', 'labels.npy')} holds NaN in set 5`);
    expect(refused('other-target', (g) => writeFileSync(join(g, 'manifest.json'), JSON.stringify({ format: 'gmn-grads', neuronCount: 12, paramCount: 37 }))))
      .toContain('describes 12 neurons and 37 parameters, but target TanhMlp has 11 and 37');
  });
});
