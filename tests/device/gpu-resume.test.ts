// Checkpoint/resume on the WebGPU executor: a run interrupted after k steps, saved to disk with the
// real checkpoint format and resumed on a fresh executor (new device buffers, params and slots
// uploaded from the file) continues bit-identically to an uninterrupted run from the same seed —
// the same losses, parameters, optimizer slots and step count. The GPU's float32 state round-trips
// exactly through the checkpoint's float64 arrays, and the step counter drives Adam's bias
// corrections, so nothing may be lost or rounded on the way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebGpuExecutor } from '../../runtime/gpu/index.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../runtime/train/checkpoint.js';
import type { TrainProgram, TrainState } from '../../runtime/train/executor.js';
import { initParams } from '../../runtime/train/init.js';
import { adam, initOptimizerState, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import { Trainer, type Dataset } from '../../runtime/train/trainer.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { openTestGpu, randomBatch } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const STEPS = 6;
const K = 3;
const BATCH = 4;
const SEED = 5;
// The first test compiles GradMetaNet's training kernels: 20 s with an empty Mesa shader cache on a
// quiet 2-core machine, so 180 s keeps a twice-slower CI machine under a third of it.
const COLD_COMPILE_TIMEOUT_MS = 180_000;

// A small GradMetaNet on a tiny MLP target (as in gpu-trainer.test.ts).
const lowered = lowerSource('use std/gradmetanet\n', 'gradmetanet', { target: probe([1, 3, 4, 1]), b: 3, args: { width: 8 } });
if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
const { graph: net, instantiation: inst } = lowered.value;

/** 16 random gradient sets with random targets: enough for distinct batches of 4. */
function dataset(): Dataset {
  return randomBatch(net, inst, 16, new Rng(11));
}

function initialState(optimizer: OptimizerConfig): TrainState {
  const params = initParams(net, new Rng(1));
  return { params, optimizer: initOptimizerState(optimizer, params), step: 0 };
}

/** Bit-identical states: every param and slot value equal (Object.is, so -0 ≠ 0), same step. */
function expectSameState(got: TrainState, want: TrainState): void {
  expect(got.step).toBe(want.step);
  expect([...got.params.keys()]).toEqual([...want.params.keys()]);
  for (const [name, p] of want.params) expect([...got.params.get(name)!]).toEqual([...p]);
  for (const [name, slots] of want.optimizer.slots) {
    expect(got.optimizer.slots.get(name)!.length).toBe(slots.length);
    slots.forEach((s, i) => expect([...got.optimizer.slots.get(name)![i]!]).toEqual([...s]));
  }
}

function differs(a: TrainState, b: TrainState): boolean {
  return [...a.params].some(([name, p]) => p.some((v, i) => !Object.is(v, b.params.get(name)![i])));
}

const OPTIMIZERS: OptimizerConfig[] = [
  adam({ lr: 1e-2 }),
  adam({ lr: 1e-2, weightDecay: 0.01 }, true),
  { kind: 'sgd', lr: 1e-2, momentum: 0.9, weightDecay: 0.01 },
];

describe.skipIf(gpu === null)('WebGPU executor: checkpoint/resume', () => {
  for (const optimizer of OPTIMIZERS) {
    it(`a resumed run (${optimizer.kind}) continues bit-identically through an on-disk checkpoint`, async () => {
      const data = dataset();
      const program: TrainProgram = { net, inst, loss: 'mse', optimizer };
      const executors: WebGpuExecutor[] = [];
      const open = (state: TrainState): WebGpuExecutor => {
        const e = new WebGpuExecutor(gpu!, program, state);
        executors.push(e);
        return e;
      };
      const dir = mkdtempSync(join(tmpdir(), 'gmn-gpu-ckpt-'));
      try {
        // Uninterrupted: STEPS steps from the seed.
        const initial = initialState(optimizer);
        const a = Trainer.create(open(initialState(optimizer)), data, { batchSize: BATCH, seed: SEED });
        expect(a.executor.backend).toMatch(/^webgpu: /);
        const uninterrupted = await a.run(STEPS);
        const final = await a.executor.readState();
        expect(final.step).toBe(STEPS);
        // Training happened: every loss is finite and the parameters moved.
        expect(uninterrupted.every(Number.isFinite)).toBe(true);
        expect(differs(final, initial)).toBe(true);

        // Interrupted: checkpoints after K−1 and K steps, written with the real format.
        const interrupted = open(initialState(optimizer));
        const b = Trainer.create(interrupted, data, { batchSize: BATCH, seed: SEED });
        const head = await b.run(K - 1);
        const save = async (name: string): Promise<Checkpoint> => {
          const checkpoint = await b.checkpoint();
          saveCheckpoint(join(dir, name), checkpoint);
          return checkpoint;
        };
        const before = await save('before');
        head.push(...(await b.run(1)));
        const saved = await save('at');
        expect(head).toEqual(uninterrupted.slice(0, K));
        // Released to the pool, so the fresh executors below may be handed its buffers, stale
        // contents and all.
        executors.splice(executors.indexOf(interrupted), 1);
        interrupted.dispose();

        // A fresh executor from different params, slots and step (Adam's bias corrections depend
        // on it): everything must come from the file.
        const fresh = (): WebGpuExecutor => {
          const state = initialState(optimizer);
          state.params.forEach((p) => p.fill(0.123));
          state.optimizer.slots.forEach((slots) => slots.forEach((s) => s.fill(0.5)));
          state.step = 99;
          return open(state);
        };
        const loaded = loadCheckpoint(join(dir, 'at'));
        expectSameState(loaded.state, saved.state);
        const c = await Trainer.resume(fresh(), data, loaded);
        // The float32 device state round-trips exactly through the float64 file.
        expectSameState(await c.executor.readState(), saved.state);
        const tail = await c.run(STEPS - K);
        // === on every loss, not closeness.
        expect([...head, ...tail]).toEqual(uninterrupted);
        expectSameState(await c.executor.readState(), final);

        // The comparison can fail: resuming one step earlier and stopping after as many steps ends
        // one update short, and its params differ; given that step back, it matches again.
        const d = await Trainer.resume(fresh(), data, loadCheckpoint(join(dir, 'before')));
        expect((await d.executor.readState()).step).toBe(before.state.step);
        const short = await d.run(STEPS - K);
        expect(short).toEqual(uninterrupted.slice(K - 1, STEPS - 1));
        expect(differs(await d.executor.readState(), final)).toBe(true);
        await d.run(1);
        expectSameState(await d.executor.readState(), final);
      } finally {
        for (const e of executors) e.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    }, COLD_COMPILE_TIMEOUT_MS);
  }
});
