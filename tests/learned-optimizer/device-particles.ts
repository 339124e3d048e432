// The check every device base task passes for every learned optimizer: 4 PES particles (2
// antithetic pairs around one φ, each with its own state and batches) unrolled on the device give
// the float64 problem's states (θ, momenta, slot EMAs) and mean losses to float32 accuracy, and the
// particles run together equal each particle run alone, bit for bit. Used by the image-MLP
// (device-inner-step.test.ts) and language-model (device-lm.test.ts) tests.
import { describe, expect, it } from 'vitest';
import type { GpuDevice } from '../../runtime/device/index.js';
import { ParticleSets } from '../../runtime/particles/particle-sets.js';
import { DeviceLearnedOptimizerProblem } from '../../runtime/tasks/learned-optimizer/device-problem.js';
import { LearnedOptimizerProblem, type InnerTask } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import type { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
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
