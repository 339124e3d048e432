import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../runtime/train/checkpoint.js';
import type { TrainProgram, TrainState } from '../../runtime/train/executor.js';
import { initParams } from '../../runtime/train/init.js';
import { adam, clipGradients, initOptimizerState, learningRate, optimizerUpdate, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import { referenceExecutor } from '../../runtime/train/reference-executor.js';
import { Trainer } from '../../runtime/train/trainer.js';
import { Rng } from '../../runtime/util/rng.js';
import { deepSets, inst, teacherData } from './regression.js';

function program(optimizer: OptimizerConfig): { program: TrainProgram; state: TrainState } {
  const net = deepSets();
  const params = initParams(net, new Rng(1));
  return { program: { net, inst, loss: 'mse', optimizer }, state: { params, optimizer: initOptimizerState(optimizer, params), step: 0 } };
}

describe('optimizers (float64)', () => {
  it('Adam: the first step moves each entry by lr·g/(|g|+eps); L2 decay enters the moments', () => {
    const config = adam({ lr: 0.1, weightDecay: 0.5 });
    const p = Float64Array.from([1, -2, 0.5]);
    const g = Float64Array.from([0.3, -0.1, 0]);
    optimizerUpdate(config, p, g, [new Float64Array(3), new Float64Array(3)], 0);
    const gd = [0.3 + 0.5, -0.1 - 1, 0 + 0.25];
    [1, -2, 0.5].forEach((p0, i) => expect(p[i]).toBeCloseTo(p0 - 0.1 * gd[i]! / (Math.abs(gd[i]!) + 1e-8), 14));
  });
  it('AdamW: decoupled decay is added to the normalised step', () => {
    const config = adam({ lr: 0.1, weightDecay: 0.5 }, true);
    const p = Float64Array.from([1, -2]);
    optimizerUpdate(config, p, Float64Array.from([0.3, 0]), [new Float64Array(2), new Float64Array(2)], 0);
    expect(p[0]).toBeCloseTo(1 - 0.1 * (0.3 / (0.3 + 1e-8) + 0.5), 14);
    expect(p[1]).toBeCloseTo(-2 - 0.1 * (0 + 0.5 * -2), 14);
  });
  it('cosine schedule: lr_t = lr·½(1 + cos(πt/T)), then lr_T = 0; each update uses its own lr_t', () => {
    const config = adam({ lr: 0.2, schedule: { kind: 'cosine', steps: 8 } });
    expect(learningRate(config, 0)).toBe(0.2);
    expect(learningRate(config, 4)).toBeCloseTo(0.1, 15);
    expect(learningRate(config, 2)).toBeCloseTo(0.1 * (1 + Math.SQRT1_2), 15);
    expect(learningRate(config, 6)).toBeCloseTo(0.1 * (1 - Math.SQRT1_2), 15);
    expect(learningRate(config, 8)).toBeCloseTo(0, 15);
    expect(learningRate(config, 20)).toBeCloseTo(0, 15);
    expect(learningRate(adam({ lr: 0.2 }), 5)).toBe(0.2);
    // SGD without momentum at update t = 2 moves p by exactly lr_2·g.
    const sgd: OptimizerConfig = { kind: 'sgd', lr: 0.2, momentum: 0, weightDecay: 0, schedule: { kind: 'cosine', steps: 8 } };
    const p = Float64Array.of(1);
    optimizerUpdate(sgd, p, Float64Array.of(3), [new Float64Array(1)], 2);
    expect(p[0]).toBeCloseTo(1 - 3 * 0.1 * (1 + Math.SQRT1_2), 14);
  });

  it('warm-up: lr_t = lr·min(1, (t+1)/W), times the cosine factor when it decays; the first Adam step is lr/W', () => {
    const constant = adam({ lr: 0.2, schedule: { kind: 'constant', steps: 10, warmup: 4 } });
    [0.05, 0.1, 0.15, 0.2, 0.2, 0.2].forEach((lr, t) => expect(learningRate(constant, t)).toBeCloseTo(lr, 15));
    expect(learningRate(constant, 50)).toBe(0.2);
    const cosine = adam({ lr: 0.2, schedule: { kind: 'cosine', steps: 8, warmup: 2 } });
    expect(learningRate(cosine, 0)).toBeCloseTo(0.1, 15);
    expect(learningRate(cosine, 4)).toBeCloseTo(0.1, 15);
    expect(learningRate(cosine, 8)).toBeCloseTo(0, 15);
    expect(learningRate(adam({ lr: 0.2, schedule: { kind: 'constant', steps: 10, warmup: 0 } }), 0)).toBe(0.2);
    const p = Float64Array.of(1, -1);
    optimizerUpdate(constant, p, Float64Array.of(0.3, -5), [new Float64Array(2), new Float64Array(2)], 0);
    expect(p[0]).toBeCloseTo(1 - 0.05, 7);
    expect(p[1]).toBeCloseTo(-1 + 0.05, 7);
  });

  it('gradient-norm clipping scales all gradients together to norm clip (less 1e-6), and leaves them below it', () => {
    const grads = [Float64Array.of(3, 0), Float64Array.of(0, -4)];
    expect(clipGradients(grads, 1)).toBe(5);
    const factor = 1 / (5 + 1e-6);
    expect([...grads[0]!, ...grads[1]!]).toEqual([3 * factor, 0, 0, -4 * factor]);
    const small = [Float64Array.of(0.3), Float64Array.of(0.4)];
    expect(clipGradients(small, 1)).toBeCloseTo(0.5, 15);
    expect([...small[0]!, ...small[1]!]).toEqual([0.3, 0.4]);
  });

  it('SGD with momentum: buf ← μ·buf + g + wd·p; p ← p − lr·buf', () => {
    const config: OptimizerConfig = { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0 };
    const p = Float64Array.from([1]);
    const buf = new Float64Array(1);
    optimizerUpdate(config, p, Float64Array.from([2]), [buf], 0);
    optimizerUpdate(config, p, Float64Array.from([2]), [buf], 1);
    expect(buf[0]).toBeCloseTo(0.9 * 2 + 2, 14);
    expect(p[0]).toBeCloseTo(1 - 0.1 * 2 - 0.1 * 3.8, 14);
  });
});

describe('training loop', () => {
  it('a DeepSets regression net learns a realisable teacher: the fit explains over 95% of the target variance (loss < 0.05·Var)', async () => {
    const data = teacherData(deepSets(), 64, 2);
    const t = data.target.data;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const variance = t.reduce((a, b) => a + (b - mean) ** 2, 0) / t.length;
    const { program: prog, state } = program(adam({ lr: 0.01 }));
    const trainer = Trainer.create(await referenceExecutor(prog, state), data, { batchSize: 64, seed: 3 });
    const losses = await trainer.run(1500);
    // the constant predictor's MSE is the variance; the teacher is in the model class (optimum 0)
    expect(losses[0]).toBeGreaterThan(0.1 * variance);
    const tail = losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
    expect(tail).toBeLessThan(0.05 * variance);
  });

  for (const optimizer of [adam({ lr: 0.01 }), adam({ lr: 0.01 }, true), { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 } as OptimizerConfig]) {
    it(`a resumed run (${optimizer.kind}) continues bit-identically through an on-disk checkpoint`, async () => {
      const data = teacherData(deepSets(), 32, 4);
      const straight = program(optimizer);
      const a = Trainer.create(await referenceExecutor(straight.program, straight.state), data, { batchSize: 8, seed: 5 });
      const uninterrupted = await a.run(10);
      const final = await a.executor.readState();

      const first = program(optimizer);
      const b = Trainer.create(await referenceExecutor(first.program, first.state), data, { batchSize: 8, seed: 5 });
      const head = await b.run(4);
      const dir = mkdtempSync(join(tmpdir(), 'gmn-ckpt-'));
      try {
        saveCheckpoint(dir, await b.checkpoint());
        // a fresh executor from different initial params: everything must come from the checkpoint
        const fresh = program(optimizer);
        fresh.state.params.forEach((p) => p.fill(0.123));
        const c = await Trainer.resume(await referenceExecutor(fresh.program, fresh.state), data, loadCheckpoint(dir));
        const tail = await c.run(6);
        expect([...head, ...tail]).toEqual(uninterrupted);
        const resumed = await c.executor.readState();
        expect(resumed.step).toBe(10);
        for (const [name, p] of final.params) expect([...resumed.params.get(name)!]).toEqual([...p]);
        for (const [name, slots] of final.optimizer.slots) slots.forEach((s, i) => expect([...resumed.optimizer.slots.get(name)![i]!]).toEqual([...s]));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
