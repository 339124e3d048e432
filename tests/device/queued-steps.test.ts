// Training steps asked for before the previous one has resolved (the curvature loop keeps one step
// in flight while it builds the next batch) must be the very same steps as awaited one at a time:
// recorded and submitted in call order, each with its own update number (Adam's bias corrections,
// the cosine schedule), the losses and the final parameters and slots bit-identical. The batch
// sizes change midway, so a new plan is prepared while an earlier step is still queued.
import { afterAll, describe, expect, it } from 'vitest';
import { WebGpuExecutor } from '../../runtime/gpu/index.js';
import type { Batch, TrainProgram, TrainState } from '../../runtime/train/executor.js';
import { adam } from '../../runtime/train/optimizers.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { openTestGpu, randomBatch, randomState } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const lowered = lowerSource('use std/gradmetanet\n', 'gradmetanet', { target: probe([1, 3, 4, 1]), b: 3, args: { width: 8 } });
if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
const { graph: net, instantiation: inst } = lowered.value;
const optimizer = adam({ lr: 1e-2, schedule: { kind: 'cosine', steps: 6 } });
const program: TrainProgram = { net, inst, loss: 'mse', optimizer };

function batches(): Batch[] {
  const rng = new Rng(3);
  return [4, 4, 3, 4, 2, 4].map((n) => randomBatch(net, inst, n, rng));
}

function expectSameState(got: TrainState, want: TrainState): void {
  expect(got.step).toBe(want.step);
  for (const [name, p] of want.params) expect([...got.params.get(name)!], name).toEqual([...p]);
  for (const [name, slots] of want.optimizer.slots) slots.forEach((s, i) => expect([...got.optimizer.slots.get(name)![i]!], `${name} slot ${i}`).toEqual([...s]));
}

describe.skipIf(gpu === null)('WebGPU executor: steps queued before the previous one resolves', () => {
  it('gives the losses and state of the same steps awaited one at a time', async () => {
    const state = randomState(net, optimizer, new Rng(7));
    const awaited = new WebGpuExecutor(gpu!, program, state);
    const queued = new WebGpuExecutor(gpu!, program, state);
    try {
      const one: number[] = [];
      for (const b of batches()) one.push(await awaited.trainStep(b));
      const all = await Promise.all(batches().map((b) => queued.trainStep(b)));
      expect(all).toEqual(one);
      expect(new Set(one).size).toBe(one.length);
      expectSameState(await queued.readState(), await awaited.readState());
    } finally {
      awaited.dispose();
      queued.dispose();
    }
  });
});
