// Cross-framework check of gradient dumps: a numpy MLP written here, independent of gmn's code,
// recomputes from a dump's own θ, inputs, targets and loss kind the per-example losses, gradients,
// mean gradient and rank-1 factors Γ (with the boundary convention of docs/grad-format.md), and
// rebuilds the gradients from Γ and the manifest's blocks. float32 dumps must agree within float32
// rounding, float64 dumps to 1e-10 of each array's scale.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/cli/commands/run.js';
import { mlpLayout, type Activation } from '../../compiler/spaces/target.js';
import { dumpTargetGradients } from '../../runtime/tasks/dump-grads.js';
import { dumpGrads, mlpGradBundle, type GradManifest } from '../../runtime/targets/dump.js';
import { mlpGradients } from '../../runtime/targets/mlp.js';
import { initMlp } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';
import { capture } from '../cli/capture.js';
import { numpyMissing, runPython } from '../fixtures/python.js';

const missing = numpyMissing('the numpy cross-checks are skipped');

// The oracle: for each dump directory given, the worst relative error of each recomputed quantity;
// prints {dir: errors} as JSON. One Python process checks every dump (numpy's import is the slow part).
const ORACLE = String.raw`
import json, sys, numpy as np
def check(d):
  m = json.load(open(d + '/manifest.json'))
  def load(key): return np.load(d + '/' + m['arrays'][key]['file'])
  spec, B = m['spec'], m['examples']
  theta = load('theta').astype(np.float64)
  theta = np.broadcast_to(theta, (B, m['paramCount']))
  x = load('inputs').astype(np.float64)
  L = len(spec['widths']) - 1
  # Layer l's weight and bias: the blocks whose rows are segment l (the weight has columns).
  Ws, bs = [], []
  for l in range(1, L + 1):
      W = next(p for p in m['params'] if p['rowSegment'] == l and p['cols'] is not None)
      b = next(p for p in m['params'] if p['rowSegment'] == l and p['cols'] is None)
      Ws.append(theta[:, W['offset']:W['offset'] + W['rows'] * W['cols']].reshape(B, W['rows'], W['cols']))
      bs.append(theta[:, b['offset']:b['offset'] + b['rows']])
  act = spec['activation']
  K, C = np.sqrt(2 / np.pi), 0.044715
  def sigma(u):
      k = act['kind']
      if k == 'relu': return np.maximum(u, 0), (u > 0).astype(np.float64)
      if k == 'tanh': return np.tanh(u), 1 - np.tanh(u) ** 2
      if k == 'sine': w = act['omega0']; return np.sin(w * u), w * np.cos(w * u)
      t = np.tanh(K * (u + C * u ** 3))
      return 0.5 * u * (1 + t), 0.5 * (1 + t) + 0.5 * u * (1 - t ** 2) * K * (1 + 3 * C * u ** 2)
  a, dsig = [x], []
  for l in range(L):
      u = np.einsum('bpq,bq->bp', Ws[l], a[-1]) + bs[l]
      if l < L - 1:
          s, ds = sigma(u); a.append(s); dsig.append(ds)
      else:
          a.append(u)
  f = a[-1]
  kind = m['loss']
  if kind == 'output':
      loss, gL = f[:, 0], np.ones_like(f)
  elif kind == 'mse':
      r = f - load('targets').astype(np.float64); loss, gL = 0.5 * (r ** 2).sum(1), r
  else:
      y = load('targets'); z = f - f.max(1, keepdims=True); p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
      loss = -np.log(p[np.arange(B), y]); gL = p.copy(); gL[np.arange(B), y] -= 1
  g = [None] * (L + 1); g[L] = gL
  for l in range(L - 1, 0, -1):
      g[l] = np.einsum('bpq,bp->bq', Ws[l], g[l + 1]) * dsig[l - 1]
  grads = np.concatenate([np.concatenate([np.einsum('bp,bq->bpq', g[l], a[l - 1]).reshape(B, -1), g[l]], 1) for l in range(1, L + 1)], 1)
  # Γ with the boundary convention: input (x, x), hidden (a, g), output (g, g).
  chans = [np.stack([x, x], -1)] + [np.stack([a[l], g[l]], -1) for l in range(1, L)] + [np.stack([gL, gL], -1)]
  factors = np.concatenate(chans, 1)
  # The gradients rebuilt from the dumped Γ alone, block by block, as docs/grad-format.md says.
  stored = load('factors')
  G = stored.astype(np.float64)
  rebuilt = np.zeros_like(grads)
  for p in m['params']:
      gr = G[:, m['segments'][p['rowSegment']]['offset']:][:, :p['rows'], 1]
      if p['cols'] is None:
          rebuilt[:, p['offset']:p['offset'] + p['rows']] = gr
      else:
          c = m['segments'][p['colSegment']]
          rebuilt[:, p['offset']:p['offset'] + p['rows'] * p['cols']] = np.einsum('bp,bq->bpq', gr, G[:, c['offset']:c['offset'] + c['size'], 0]).reshape(B, -1)
  def err(mine, dumped): return float(np.abs(mine - dumped).max() / np.abs(mine).max())
  return {
      'losses': err(loss, load('losses')), 'grads': err(grads, load('grads')),
      'mean_grad': err(grads.mean(0), load('mean_grad')), 'factors': err(factors, G),
      'rebuilt': err(grads, rebuilt), 'dtype': str(stored.dtype),
  }
print(json.dumps({d: check(d) for d in sys.argv[1:]}))
`;

interface OracleErrors { losses: number; grads: number; mean_grad: number; factors: number; rebuilt: number; dtype: string }

const QUANTITIES = ['losses', 'grads', 'mean_grad', 'factors', 'rebuilt'] as const;

// float32 storage: θ and inputs are rounded before the oracle sees them, so its recomputation differs
// from the float64 one gmn stored by their propagated rounding (largest for SIREN's ω0 = 30).
const TOLERANCE = { float32: 5e-5, float64: 1e-10 };

const activations: Activation[] = [{ kind: 'relu' }, { kind: 'tanh' }, { kind: 'gelu' }, { kind: 'sine', omega0: 30 }];
const work = mkdtempSync(join(tmpdir(), 'gmn-numpy-'));
const dumpDir = (name: string): string => join(work, name);
let errors: Record<string, OracleErrors> = {};
let cliOutput = '';

/** Every dump the tests check, written first so that one Python process checks them all. */
async function writeDumps(): Promise<void> {
  for (const activation of activations) {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const widths of [[2, 8, 8, 1], [3, 6, 5, 3]]) {
        const layout = mlpLayout('M', { kind: 'mlp', widths, activation, init: activation.kind === 'sine' ? 'siren' : 'kaiming' });
        dumpTargetGradients({ layout, dir: dumpDir(`${activation.kind}-${dtype}-${widths.at(-1)}`), count: 6, seed: 3, dtype });
      }
    }
  }
  // One θ per example and a cross-entropy loss (class ids as int32 targets).
  const layout = mlpLayout('M', { kind: 'mlp', widths: [4, 7, 3], activation: { kind: 'tanh' }, init: 'kaiming' });
  const rng = new Rng(5);
  const count = 5;
  const theta = new Float64Array(count * layout.paramCount);
  for (let i = 0; i < count; i++) theta.set(initMlp(layout, rng), i * layout.paramCount);
  const inputs = Float64Array.from({ length: count * 4 }, () => rng.range(-1, 1));
  const labels = Int32Array.from({ length: count }, () => rng.int(3));
  const grads = mlpGradients(layout, { count, inputs, theta }, { kind: 'cross_entropy', labels });
  dumpGrads(layout, mlpGradBundle(layout, grads, { loss: 'cross_entropy', theta, inputs, targets: labels }), dumpDir('per-example'), { dtype: 'float64' });
  const out = await capture(runCommand, 'dsl-examples/curvature.gmn', '--dump-grads', dumpDir('cli'), '--count', '4', '--dtype', 'float64');
  expect(out.code).toBe(0);
  cliOutput = out.stdout;
}

beforeAll(async () => {
  if (missing !== null) return;
  await writeDumps();
  const dirs = readdirSync(work).map(dumpDir);
  const byDir = runPython<Record<string, OracleErrors>>(ORACLE, ...dirs);
  errors = Object.fromEntries(Object.entries(byDir).map(([dir, e]) => [basename(dir), e]));
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function expectAgreement(name: string, dtype: 'float32' | 'float64'): void {
  const e = errors[name];
  expect(e, `no oracle result for ${name}`).toBeDefined();
  expect(e!.dtype).toBe(dtype);
  for (const key of QUANTITIES) expect(e![key], `${name}: ${key}`).toBeLessThan(TOLERANCE[dtype]);
}

describe.skipIf(missing !== null)('numpy recomputes gmn\'s MLP gradient dumps from θ, inputs and targets', () => {
  for (const activation of activations) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${activation.kind}, ${dtype}: scalar output (loss = f) and 3 outputs (mse)`, () => {
        expectAgreement(`${activation.kind}-${dtype}-1`, dtype);
        expectAgreement(`${activation.kind}-${dtype}-3`, dtype);
      });
    }
  }

  it('one θ per example ([examples, P]) and a cross-entropy loss, float64', () => {
    const manifest = JSON.parse(readFileSync(join(dumpDir('per-example'), 'manifest.json'), 'utf8')) as GradManifest;
    expect(manifest.loss).toBe('cross_entropy');
    expect(manifest.arrays['theta']!.shape).toEqual([5, manifest.paramCount]);
    expect(manifest.arrays['targets']!.shape).toEqual([5]);
    expectAgreement('per-example', 'float64');
  });

  it('gmn run --dump-grads --dtype float64 (the curvature task\'s SIREN) writes a dump the oracle recomputes', () => {
    expect(cliOutput).toMatch(/theta \[\d+\], inputs \[4, \d+\] \(float64\)/);
    expectAgreement('cli', 'float64');
  });
});
