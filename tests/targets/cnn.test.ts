// CNN targets (compiler/spaces/cnn.ts, runtime/targets/cnn.ts): the per-example gradients rebuilt from
// the factors Γ (positions as items) against central finite differences of the float64 loss, against
// PyTorch's autograd on the same network (an independent implementation: nn.Conv2d, mean pooling,
// nn.Linear), and the layout's symmetry claim: permuting a hidden layer's channels — its output segment
// and the next layer's patch segments together — leaves every loss unchanged and permutes Γ alike.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cnnLayout, type CnnLayout, type CnnSpec } from '../../compiler/spaces/cnn.js';
import type { Activation } from '../../compiler/spaces/target.js';
import { cnnGradients, cnnLosses, cnnPerExampleGradients, type CnnBatch } from '../../runtime/targets/cnn.js';
import type { MlpLoss } from '../../runtime/targets/mlp.js';
import { Rng } from '../../runtime/util/rng.js';
import { torchMissing } from '../fixtures/python.js';

/** A non-square image and unequal channel counts, so that a transposed index cannot go unnoticed. */
function spec(activation: Activation): CnnSpec {
  return { kind: 'cnn', channels: [2, 3, 4], kernel: 3, height: 5, width: 4, head: [5, 3], activation };
}

function randomBatch(layout: CnnLayout, count: number, seed: number): CnnBatch {
  const rng = new Rng(seed);
  const inputs = Float64Array.from({ length: count * layout.spec.channels[0]! * layout.positions }, () => rng.normal());
  const theta = Float64Array.from({ length: layout.paramCount }, () => 0.4 * rng.normal());
  return { count, inputs, theta };
}

const LOSSES: { name: string; loss: (count: number) => MlpLoss }[] = [
  { name: 'mse', loss: (count) => ({ kind: 'mse', targets: Float64Array.from({ length: count * 3 }, (_, i) => Math.sin(i)) }) },
  { name: 'cross_entropy', loss: (count) => ({ kind: 'cross_entropy', labels: Array.from({ length: count }, (_, i) => i % 3) }) },
];

describe('CNN layout', () => {
  it('has PyTorch\'s parameter count and ties each patch segment to the channels it reads', () => {
    const layout = cnnLayout('Net', spec({ kind: 'relu' }));
    // Conv2d(2→3, 3×3) + Conv2d(3→4, 3×3) + Linear(4→5) + Linear(5→3), with biases.
    expect(layout.paramCount).toBe(3 * 2 * 9 + 3 + 4 * 3 * 9 + 4 + 5 * 4 + 5 + 3 * 5 + 3);
    const groups = (segs: number[]): (string | null)[] => segs.map((s) => layout.segments[s]!.group);
    expect(groups(layout.convs[0]!.patchSegments)).toEqual(Array(9).fill(null));
    expect(groups(layout.convs[1]!.patchSegments)).toEqual(Array(9).fill('Net.conv1'));
    expect(layout.segments[layout.convs[0]!.outputSegment]!.group).toBe('Net.conv1');
    expect(layout.segments[layout.headSegments[1]!]!.group).toBeNull();
    expect(layout.positions).toBe(20);
  });
});

describe('CNN per-example gradients from Γ', () => {
  for (const activation of [{ kind: 'tanh' }, { kind: 'sine', omega0: 2 }] as Activation[]) {
    for (const { name, loss } of LOSSES) {
      it(`equal central differences of the loss (${activation.kind}, ${name})`, () => {
        const layout = cnnLayout('Net', spec(activation));
        const batch = randomBatch(layout, 2, 7);
        const grads = cnnPerExampleGradients(layout, cnnGradients(layout, batch, loss(batch.count)));
        const h = 1e-5;
        let worst = 0;
        let scale = 0;
        for (let p = 0; p < layout.paramCount; p++) {
          const plus = Float64Array.from(batch.theta);
          const minus = Float64Array.from(batch.theta);
          plus[p] += h;
          minus[p] -= h;
          const up = cnnLosses(layout, { ...batch, theta: plus }, loss(batch.count));
          const down = cnnLosses(layout, { ...batch, theta: minus }, loss(batch.count));
          for (let i = 0; i < batch.count; i++) {
            const numeric = (up[i]! - down[i]!) / (2 * h);
            worst = Math.max(worst, Math.abs(numeric - grads[i * layout.paramCount + p]!));
            scale = Math.max(scale, Math.abs(numeric));
          }
        }
        expect(scale).toBeGreaterThan(0.1);
        expect(worst / scale).toBeLessThan(1e-7);
      });
    }
  }
});

// The oracle: the network built from torch.nn (tests/fixtures/torch_cnn.py), one backward per example;
// prints the per-example gradients in the layout's order.
const TORCH_FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
const TORCH_ORACLE = String.raw`
import json, sys, torch
from torch_cnn import Cnn
def gradients(m):
    net = Cnn(m)
    x = torch.tensor(m['inputs']).reshape(m['count'], m['channels'][0], m['height'], m['width'])
    out = []
    for i in range(m['count']):
        net.zero_grad()
        loss = 0.5 * ((net(x[i:i + 1])[0] - torch.tensor(m['targets'][i])) ** 2).sum()
        loss.backward()
        out.append(net.gradient().tolist())
    return out
print(json.dumps([gradients(m) for m in json.load(sys.stdin)]))
`;

describe.skipIf(torchMissing('the CNN autograd cross-check is skipped') !== null)('CNN per-example gradients against PyTorch autograd', () => {
  const activations: Activation[] = [{ kind: 'relu' }, { kind: 'tanh' }, { kind: 'sine', omega0: 2 }];
  const problems = activations.map((activation) => {
    const layout = cnnLayout('Net', spec(activation));
    const batch = randomBatch(layout, 3, 11);
    const targets = Float64Array.from({ length: batch.count * 3 }, (_, i) => Math.cos(i));
    const ours = cnnPerExampleGradients(layout, cnnGradients(layout, batch, { kind: 'mse', targets }));
    const input = {
      ...layout.spec, omega0: activation.kind === 'sine' ? activation.omega0 : 1, activation: activation.kind,
      params: layout.params, count: batch.count, inputs: [...batch.inputs], theta: [...batch.theta],
      targets: Array.from({ length: batch.count }, (_, i) => [...targets.subarray(i * 3, i * 3 + 3)]),
    };
    return { activation, layout, ours, input };
  });
  let theirs: number[][][] = [];
  beforeAll(() => {
    // One Python process for every problem: importing torch is the slow part.
    const input = JSON.stringify(problems.map((p) => p.input));
    theirs = JSON.parse(execFileSync('python3', ['-c', TORCH_ORACLE], { input, env: { ...process.env, PYTHONPATH: TORCH_FIXTURES } }).toString()) as number[][][];
  }, 120_000);

  problems.forEach(({ activation, layout, ours }, index) => {
    it(`agree to float64 accuracy (${activation.kind}, mse)`, () => {
      let worst = 0;
      let scale = 0;
      theirs[index]!.forEach((row, i) => row.forEach((v, p) => {
        worst = Math.max(worst, Math.abs(v - ours[i * layout.paramCount + p]!));
        scale = Math.max(scale, Math.abs(v));
      }));
      expect(scale).toBeGreaterThan(0.01);
      expect(worst / scale).toBeLessThan(1e-12);
    });
  });
});

describe('CNN channel permutations', () => {
  it('leave the losses unchanged and permute Γ by the tied segments', () => {
    const layout = cnnLayout('Net', spec({ kind: 'tanh' }));
    const batch = randomBatch(layout, 2, 3);
    const rng = new Rng(99);
    const perm = rng.permutation(layout.spec.channels[1]!); // conv1's channels: new channel c = old perm[c]
    const theta = Float64Array.from(batch.theta);
    const conv1 = layout.convs[0]!;
    const conv2 = layout.convs[1]!;
    const C0 = layout.spec.channels[0]!;
    const C2 = layout.spec.channels[2]!;
    for (const k of conv1.weightBlocks) {
      const b = layout.params[k]!;
      perm.forEach((old, c) => { for (let q = 0; q < C0; q++) theta[b.offset + c * C0 + q] = batch.theta[b.offset + old * C0 + q]!; });
    }
    const bias = layout.params[conv1.biasBlock]!;
    perm.forEach((old, c) => { theta[bias.offset + c] = batch.theta[bias.offset + old]!; });
    for (const k of conv2.weightBlocks) {
      const b = layout.params[k]!;
      for (let row = 0; row < C2; row++) perm.forEach((old, c) => { theta[b.offset + row * perm.length + c] = batch.theta[b.offset + row * perm.length + old]!; });
    }
    const loss: MlpLoss = { kind: 'cross_entropy', labels: [0, 2] };
    const before = cnnGradients(layout, batch, loss);
    const after = cnnGradients(layout, { ...batch, theta }, loss);
    for (let i = 0; i < batch.count; i++) expect(after.losses[i]).toBeCloseTo(before.losses[i]!, 12);
    // Γ after = Γ before with conv1's segment and conv2's patch segments permuted, all else equal.
    const moved = new Set([conv1.outputSegment, ...conv2.patchSegments]);
    const N = layout.neuronCount;
    let worst = 0;
    for (let item = 0; item < batch.count * layout.positions; item++) {
      layout.segments.forEach((seg, index) => {
        for (let c = 0; c < seg.size; c++) {
          const source = moved.has(index) ? perm[c]! : c;
          for (let ch = 0; ch < 2; ch++) {
            const a = after.factors[(item * N + seg.offset + c) * 2 + ch]!;
            const b = before.factors[(item * N + seg.offset + source) * 2 + ch]!;
            worst = Math.max(worst, Math.abs(a - b));
          }
        }
      });
    }
    expect(worst).toBeLessThan(1e-12);
  });
});
