// The checks every device base task passes (device-inner-step.test.ts: image MLPs; device-lm.test.ts:
// the LM): for every learned optimizer, 4 PES particles (2 antithetic pairs around one φ, each with
// its own state and batches) unrolled on the device give the float64 problem's states (θ, momenta,
// slot EMAs) and mean losses to float32 accuracy, and the particles run together equal each particle
// run alone, bit for bit; PES meta-training on the device resumes bit-identically from a checkpoint.
import { describe, expect, it } from 'vitest';
import type { GpuDevice } from '../../runtime/device/index.js';
import { ParticleSets } from '../../runtime/particles/particle-sets.js';
import { DeviceLearnedOptimizerProblem } from '../../runtime/tasks/learned-optimizer/device-problem.js';
import { LearnedOptimizerProblem, type InnerTask } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import type { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { PesMetaTrainer, type MetaTrainerState } from '../../runtime/tasks/learned-optimizer/meta-trainer.js';
import { PAPER_RULE, type RuleState } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose } from '../device/gpu-fixture.js';

const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

/** Fresh states, 2 float64 steps so that momenta and EMAs are not zero, then rounded to float32 (both sides read the same numbers). */
export function warmStates(problem: LearnedOptimizerProblem, metas: ParticleSets, rng: Rng): RuleState[] {
  const fresh = Array.from({ length: metas.count }, () => problem.initialState(rng));
  const warmed = problem.unroll(fresh, metas, 2, [11, 12]).states;
  return warmed.map((s) => ({ ...s, theta: f32(s.theta), momentum: f32(s.momentum), momenta: s.momenta.map(f32), ...(s.setEmas ? { setEmas: s.setEmas.map(f32) } : {}) }));
}

export function describeParticlesOnDevice(title: string, gpu: GpuDevice | null, task: InnerTask, optimizer: () => LearnedOptimizer, steps: number): void {
  describe.skipIf(gpu === null)(`${title}: 4 particles on the device`, () => {
    const learned = optimizer();
    const reference = new LearnedOptimizerProblem(task, learned);
    const rng = new Rng(4);
    const phi = learned.initialMeta(PAPER_RULE, rng);
    // β large enough that F_ϕ moves θ visibly (the paper's 0.001 would hide it under float32 noise).
    if (learned.net !== undefined) phi[2] = Math.log(0.5);
    const metas = ParticleSets.antithetic(phi, [0, 1].map(() => Float64Array.from(phi, () => 0.05 * rng.normal())));
    const starts = warmStates(reference, metas, rng);

    it(`states and losses after ${steps} steps equal the float64 problem's (float32 tolerance)`, async () => {
      const device = new DeviceLearnedOptimizerProblem(gpu!, task, learned);
      const got = await device.unroll(starts, metas, steps, [42, 43]);
      await device.release();
      const want = reference.unroll(starts, metas, steps, [42, 43]);
      expectClose(got.losses, want.losses, 1e-4, 1e-5);
      got.states.forEach((s, j) => {
        const w = want.states[j]!;
        expect(s.step).toBe(w.step);
        expectClose(s.theta, w.theta, 1e-4, 1e-5);
        expectClose(s.momentum, w.momentum, 1e-4, 1e-5);
        s.momenta.forEach((m, k) => expectClose(m, w.momenta[k]!, 1e-4, 1e-5));
        expect(s.setEmas === undefined).toBe(w.setEmas === undefined);
        s.setEmas?.forEach((e, k) => expectClose(e, w.setEmas![k]!, 1e-4, 1e-5));
      });
    });

    it('particles run together equal each particle run alone', async () => {
      const device = new DeviceLearnedOptimizerProblem(gpu!, task, learned);
      const together = await device.unroll(starts, metas, steps, [42, 43]);
      for (let j = 0; j < metas.count; j++) {
        const alone = await device.unroll([starts[j]!], new ParticleSets(1, metas.size, Float64Array.from(metas.row(j))), steps, [[42, 43][j >> 1]!]);
        expect(alone.losses[0]).toBe(together.losses[j]);
        expect([...alone.states[0]!.theta]).toEqual([...together.states[j]!.theta]);
        expect(alone.states[0]!.setEmas?.map((e) => [...e])).toEqual(together.states[j]!.setEmas?.map((e) => [...e]));
      }
      await device.release();
    });
  });
}

/** `steps` PES outer steps straight through, against 2 steps, a JSON round trip of the trainer's state, and the rest. */
export async function expectPesResumesBitIdentically(gpu: GpuDevice, task: InnerTask, optimizer: LearnedOptimizer, steps: number): Promise<void> {
  const device = new DeviceLearnedOptimizerProblem(gpu, task, optimizer);
  const options = { pes: { pairs: 2, truncation: 2, horizon: 4, sigma: 0.01, accumulate: true, stagger: true, seed: 3 }, outerLr: 0.01, clip: 1 };
  const phi0 = optimizer.initialMeta(PAPER_RULE, new Rng(1));
  const straight = new PesMetaTrainer(device, options, phi0);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(await straight.outerUpdate());
  const first = new PesMetaTrainer(device, options, phi0);
  for (let s = 0; s < 2; s++) await first.outerUpdate();
  const replace = (_: string, v: unknown) => (v instanceof Float64Array ? { f64: [...v] } : v);
  const revive = (_: string, v: unknown) => (typeof v === 'object' && v !== null && 'f64' in v ? Float64Array.from((v as { f64: number[] }).f64) : v);
  const saved = JSON.parse(JSON.stringify(first.state(), replace), revive) as MetaTrainerState<RuleState>;
  const resumed = new PesMetaTrainer(device, options, phi0, saved);
  const rest: number[] = [];
  for (let s = 2; s < steps; s++) rest.push(await resumed.outerUpdate());
  await device.release();
  expect(rest).toEqual(losses.slice(2));
  expect([...resumed.phi]).toEqual([...straight.phi]);
}
