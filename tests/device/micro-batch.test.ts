// A batch whose buffers exceed the storage-binding limit runs as micro-batches: on a device with an
// artificially low limit, the forward output, the losses, the parameters and the optimizer state
// after training steps match an unchunked run of the same program (float32 tolerance).
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainingStep } from '../../compiler/autodiff/index.js';
import { GpuDevice, sizeClass } from '../../runtime/device/index.js';
import { GpuExecutor, WebGpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { microBatches } from '../../runtime/gpu/micro-batch.js';
import type { TrainProgram } from '../../runtime/train/executor.js';
import { adam, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectClose, openTestGpu, randomBatch, randomState } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const B = 37;

describe.skipIf(gpu === null)('micro-batches', () => {
  it('chunks cover the batch with near-equal sizes', () => {
    expect(microBatches(7, 3)).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect(microBatches(32, 32)).toEqual([[0, 32]]);
    expect(microBatches(32, 11)).toEqual([[0, 10], [10, 21], [21, 32]]);
  });

  // With clipping far below the gradients' norm, the chunked step clips the summed gradient, not a chunk's.
  const optimizers: OptimizerConfig[] = [{ kind: 'sgd', lr: 1e-2, momentum: 0.9, weightDecay: 0.01 }, adam({ lr: 1e-3 }), { kind: 'sgd', lr: 1e-2, momentum: 0.9, weightDecay: 0, clipNorm: 1e-3 }];
  for (const optimizer of optimizers) {
    it(`chunked == unchunked for forward and ${optimizer.kind}${optimizer.clipNorm === undefined ? '' : ' (clipped)'} training steps`, async () => {
      const lowered = lowerSource('use std/gradmetanet\n', 'gradmetanet', { target: probe([1, 3, 4, 1]), b: 3, args: { width: 8 } });
      if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
      const { graph: net, instantiation: inst } = lowered.value;
      const program: TrainProgram = { net, inst, loss: 'mse', optimizer };
      // The limit: a quarter of the largest buffer of the full batch's step (as the pool sizes it), but
      // no less than one example needs — some buffers (a contraction's partial sums) do not grow with
      // the batch, and no chunking can shrink them.
      const probeExec = new GpuExecutor(gpu!, buildTrainingStep(net, inst, 'mse').graph, inst, { tables: layoutTables(inst) });
      const largest = (batch: number): number =>
        Math.max(...probeExec.plan(batch, [...probeExec.graph.outputs!.values()]).buffers.map((b) => sizeClass(b.bytes)));
      const small = await GpuDevice.open({ checked: true, maxBindingBytes: Math.max(largest(B) / 4, largest(1)) });
      try {
        const rng = new Rng(11);
        const batch = randomBatch(net, inst, B, rng);
        const state = randomState(net, optimizer, rng);
        const whole = new WebGpuExecutor(gpu!, program, state);
        const chunked = new WebGpuExecutor(small!, program, state);
        // The limited device really splits both graphs.
        const stepExec = new GpuExecutor(small!, buildTrainingStep(net, inst, 'mse').graph, inst, { tables: layoutTables(inst) });
        const outputs = [...stepExec.graph.outputs!.values()];
        expect(stepExec.microBatch(B, outputs)).toBeLessThan(B);
        expect(new GpuExecutor(small!, net, inst, { tables: layoutTables(inst) }).microBatch(B)).toBeLessThan(B);

        expectClose((await chunked.forward(batch.inputs)).data, (await whole.forward(batch.inputs)).data, 1e-4, 1e-5);
        for (let t = 0; t < 3; t++) {
          const [a, b] = [await whole.trainStep(batch), await chunked.trainStep(batch)];
          expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a)));
        }
        const [a, b] = [await whole.readState(), await chunked.readState()];
        expect(b.step).toBe(3);
        for (const [name, p] of a.params) {
          expectClose(b.params.get(name)!, p, 1e-4, 1e-5);
          a.optimizer.slots.get(name)!.forEach((slot, i) => expectClose(b.optimizer.slots.get(name)![i]!, slot, 1e-3, 1e-6));
        }
        whole.dispose();
        chunked.dispose();
      } finally {
        small?.destroy();
      }
    });
  }
});
