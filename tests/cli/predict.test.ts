// `gmn predict` end to end: a GradMetaNet trained by `gmn run` on a tiny curvature task (float64
// reference executor) applied to SIRENs trained outside gmn in numpy (tests/fixtures/user_mlps.py),
// whose exact Fisher diagonals numpy computes by quadrature over their input distributions. The
// learned estimate must be closer to them than the standard estimator on the same 4 samples, on
// average over the networks; the estimator column must be numpy's own mean of squared gradients
// (which also checks the state_dict → layout mapping); mismatched weights are refused by name.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../runtime/export/safetensors-read.js';
import { decodeNpy, writeNpy } from '../../runtime/targets/npy.js';
import { numpyMissing } from '../fixtures/python.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/gmn.mjs');
const FIXTURE = join(ROOT, 'tests/fixtures/predict-curvature.gmn');
const NETWORKS = 6;
const SAMPLES = 4;
const skip = numpyMissing('gmn predict against numpy-trained MLPs and their exact Fisher diagonals');

function gmn(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

function npy(file: string): Float64Array {
  return Float64Array.from(decodeNpy(readFileSync(file)).data);
}

function mse(a: Float64Array, b: Float64Array): number {
  return a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;
}

describe.skipIf(skip !== null)('gmn predict', () => {
  let work: string;
  let checkpoint: string;
  let networks: string[];
  // user_mlps.py saves network k as safetensors for even k, as a folder of .npy files for odd k.
  const weightsOf = (net: string): string => (Number(/net(\d+)$/.exec(net)![1]) % 2 === 0 ? join(net, 'weights.safetensors') : join(net, 'weights'));

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-predict-');
    const run = gmn(['run', FIXTURE, '--out', 'run', '--backend', 'reference'], work);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.status).toBe(0);
    checkpoint = join(work, 'run', 'trained', 'gradmetanet-n200-s1.ckpt');
    const made = spawnSync('python3', [join(ROOT, 'tests/fixtures/user_mlps.py'), join(work, 'users'), String(NETWORKS), String(SAMPLES), '7'], { encoding: 'utf8' });
    expect(made.stderr).toBe('');
    networks = JSON.parse(made.stdout) as string[];
  });

  it('estimates the Fisher diagonal of numpy-trained MLPs better than the standard estimator on the same samples', () => {
    const errors = networks.map((net) => {
      const out = join(net, 'predicted');
      const r = gmn(['predict', checkpoint, '--weights', weightsOf(net), '--inputs', join(net, 'samples.npy'), '--out', out], work);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/gradmetanet on 4 samples: fisher_diag of Siren8 \(97 parameters\)/);
      const exact = npy(join(net, 'exact.npy'));
      const predicted = npy(join(out, 'predicted.npy'));
      const estimator = npy(join(out, 'standard_estimator.npy'));
      // The estimator gmn reports is numpy's, entry by entry, in state_dict order.
      const numpyEstimator = npy(join(net, 'estimator.npy'));
      const scale = Math.max(...numpyEstimator);
      numpyEstimator.forEach((v, i) => expect(Math.abs(estimator[i]! - v)).toBeLessThan(1e-9 * scale));
      expect(predicted.every(Number.isFinite)).toBe(true);
      return { learned: mse(predicted, exact), estimator: mse(estimator, exact) };
    });
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const learned = mean(errors.map((e) => e.learned));
    const estimator = mean(errors.map((e) => e.estimator));
    process.stderr.write(`gmn predict: mean MSE to the exact Fisher diagonal over ${NETWORKS} networks: GradMetaNet ${learned.toPrecision(3)}, standard estimator ${estimator.toPrecision(3)}\n`);
    expect(learned).toBeLessThan(estimator);
  });

  it('writes safetensors named and shaped as the weights, from a run directory with one trained model', () => {
    const net = networks[1]!;
    const out = join(work, 'prediction.safetensors');
    const r = gmn(['predict', join(work, 'run'), '--weights', weightsOf(net), '--inputs', join(net, 'samples.npy'), '--out', out], work);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tensors = decodeSafetensors(readFileSync(out), out);
    expect([...tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight'].flatMap((n) => [`predicted.${n}`, `standard_estimator.${n}`]).sort());
    expect(tensors.get('predicted.2.weight')!.shape).toEqual([8, 8]);
    const flat = ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias'].flatMap((n) => [...tensors.get(`standard_estimator.${n}`)!.values]);
    const numpyEstimator = npy(join(net, 'estimator.npy'));
    flat.forEach((v, i) => expect(Math.abs(v - numpyEstimator[i]!)).toBeLessThan(1e-9 * Math.max(...numpyEstimator)));
  });

  it('refuses weights of another architecture, naming the tensor, the expected shape and the file', () => {
    const net = networks[1]!;
    const bad = join(work, 'bad');
    mkdirSync(bad, { recursive: true });
    for (const n of ['0.weight', '0.bias', '2.bias', '4.weight', '4.bias']) copyFileSync(join(net, 'weights', `${n}.npy`), join(bad, `${n}.npy`));
    writeNpy(join(bad, '2.weight.npy'), new Float64Array(16 * 8), [16, 8], 'float64');
    const wrongShape = gmn(['predict', checkpoint, '--weights', bad, '--inputs', join(net, 'samples.npy'), '--out', join(work, 'x')], work);
    expect(wrongShape.status).toBe(1);
    expect(wrongShape.stderr).toMatch(new RegExp(`gmn predict: error: ${bad}: tensor \`2.weight\` has shape \\[16, 8\\], but target Siren8 expects \\[8, 8\\]`));
    expect(wrongShape.stderr).toMatch(/hint: .*Siren8 = mlp\(widths: \[1, 8, 8, 1\]\)/);

    writeNpy(join(bad, '2.weight.npy'), new Float64Array(64), [8, 8], 'float64');
    writeNpy(join(bad, '6.weight.npy'), new Float64Array(8), [1, 8], 'float64');
    const deeper = gmn(['predict', checkpoint, '--weights', bad, '--inputs', join(net, 'samples.npy'), '--out', join(work, 'x')], work);
    expect(deeper.status).toBe(1);
    expect(deeper.stderr).toMatch(/holds tensor `6.weight` that target Siren8 does not have/);

    const samples = join(work, 'samples2d.npy');
    writeNpy(samples, new Float64Array(8), [4, 2], 'float64');
    const wrongSamples = gmn(['predict', checkpoint, '--weights', weightsOf(net), '--inputs', samples, '--out', join(work, 'x')], work);
    expect(wrongSamples.status).toBe(1);
    expect(wrongSamples.stderr).toContain(`${samples} has shape [4, 2], but target Siren8 reads samples of shape [b, 1]`);

    writeFileSync(join(work, 'broken.safetensors'), 'not a safetensors file');
    const broken = gmn(['predict', checkpoint, '--weights', join(work, 'broken.safetensors'), '--inputs', join(net, 'samples.npy'), '--out', join(work, 'x')], work);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`${join(work, 'broken.safetensors')} is not a readable safetensors file`);
  });
});
