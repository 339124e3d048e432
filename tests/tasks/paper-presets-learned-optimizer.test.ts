// The `paper` preset of every learned-optimizer example (§6.2), instantiated as far as this machine
// allows without running it: the config it resolves to (the paper's PES, Adam grid and base tasks),
// every base task's data loaded at its batch, every optimizer's F_ϕ lowered for its base task's
// target and gradient-set size, on the device (when there is an adapter) planned and built for the
// preset's 16 PES particles as the run builds it, and one PES outer step of every optimizer on every
// base task: the preset's σ, outer learning rate and clip, on a slice of one antithetic pair and two
// inner steps per truncation (the first step's loss is taken before any update, so one step would
// estimate a zero gradient; the preset's 8 pairs × 50 steps of UNF + GradMetaNet cost minutes here).
import { describe, expect, it } from 'vitest';
import { gradientSetSize, baseTaskLayout, loadBaseTask } from '../../runtime/tasks/learned-optimizer/base-task.js';
import { baseTaskOptimizers, learnedOptimizationConfig, optimizerLabel, truncationFor } from '../../runtime/tasks/learned-optimizer/config.js';
import { innerProblem, runsOnDevice } from '../../runtime/tasks/learned-optimizer/device-backend.js';
import { formatBytes } from '../../runtime/data/memory.js';
import { sizeClass } from '../../runtime/device/index.js';
import { pipelineOf } from '../../runtime/gpu/launch.js';
import { DeviceUpdateNet, UpdateNetTooLargeError, updateNetPlan } from '../../runtime/tasks/learned-optimizer/device-update-net.js';
import type { InnerTask } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import { optimizerFor, type LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { PesMetaTrainer } from '../../runtime/tasks/learned-optimizer/meta-trainer.js';
import { Rng } from '../../runtime/util/rng.js';
import { PAPER, openCompiler, paperTasks } from '../fixtures/paper-presets.js';

// The adapter the image-MLP and LM base tasks run on (lavapipe here); the regression runs in float64.
const gpu = await openCompiler();

/** The slice of PES: one antithetic pair (the preset: `pairs`), two inner steps per truncation. */
const SLICE = { pairs: 1, truncation: 2 };

describe.each(paperTasks('learned_optimization'))(`%s, preset ${PAPER}`, (_name, example) => {
  const config = learnedOptimizationConfig(example.task, PAPER);
  const tasks = new Map<string, InnerTask>();
  const optimizers = new Map<string, LearnedOptimizer>();

  it('resolves to the paper\'s protocol (§6.2: PES with 50,000 outer steps, 16 inner runs, truncation 50, σ 0.01, outer Adam 1e-4, clip 1; Adam over 0.0005·j, j = 1..20; 5 seeds)', () => {
    expect(config.preset).toBe(PAPER);
    expect(config.pes).toMatchObject({ outerSteps: 50_000, pairs: 8, truncation: 50, sigma: 0.01, outerLr: 1e-4, outerSchedule: 'constant', clip: 1 });
    expect(config.adamLrs.map((lr) => Math.round(lr / 0.0005))).toEqual(Array.from({ length: 20 }, (_, j) => j + 1));
    expect(config.seeds).toEqual([1, 2, 3, 4, 5]);
    expect(config.rule).toEqual({ alpha: 0.1, mu: 0.9, beta: 0.001 });
    // The paper's five base tasks, at its batches (128 for the images, 8 sequences for the LM).
    expect(config.baseTasks.map((b) => b.kind)).toEqual(['image_mlp', 'image_mlp', 'image_mlp', 'language_model', 'linear_regression']);
    for (const b of config.baseTasks) if (b.kind !== 'linear_regression') expect(b.batch, b.label).toBe(b.kind === 'image_mlp' ? 128 : 8);
    // Every base task runs Table 1's five optimizers.
    for (const b of config.baseTasks) expect(baseTaskOptimizers(config, b).length, b.label).toBe(5);
  });

  describe.each(config.baseTasks.map((b) => [b.label, b] as const))('%s', (label, base) => {
    const layout = baseTaskLayout(example.module, base);

    it(`loads its data and draws a batch of ${base.batch} at the preset's shapes`, () => {
      const task = loadBaseTask(base, layout, () => {});
      expect(task.paramCount).toBe(layout.paramCount);
      const batch = task.trainLoss(task.initialTheta(new Rng(1)), new Rng(2));
      expect(Number.isFinite(batch.loss)).toBe(true);
      expect(batch.grad.length).toBe(layout.paramCount);
      expect(batch.factors.length).toBe(gradientSetSize(base, layout) * layout.neuronCount * 2);
      if (runsOnDevice(base.kind)) expect(task.device, `${label} has no device form`).toBeDefined();
      tasks.set(label, task);
    });

    describe.each(baseTaskOptimizers(config, base).map((o) => [optimizerLabel(o), o] as const))('%s', (name, o) => {
      it(`lowers F_ϕ for ${layout.name} with gradient sets of ${gradientSetSize(base, layout)}${gpu !== null && runsOnDevice(base.kind) ? `, built on the device for ${2 * config.pes.pairs} particles` : ''}`, async () => {
        const optimizer = optimizerFor(example.checked.program, example.module, o, gradientSetSize(base, layout), layout);
        optimizers.set(name, optimizer);
        if (optimizer.net === undefined || !runsOnDevice(base.kind)) return;
        const particles = 2 * config.pes.pairs;
        const plan = updateNetPlan(optimizer.net, particles);
        expect(plan.dispatches.length).toBeGreaterThan(0);
        if (gpu === null) return;
        const largest = Math.max(...plan.buffers.map((b) => sizeClass(b.bytes)));
        const limit = gpu.device.limits.maxStorageBufferBindingSize;
        if (largest <= limit) {
          const built = await DeviceUpdateNet.create(gpu, optimizer.net, particles, plan);
          expect(built.particles).toBe(particles);
          built.release();
          return;
        }
        // This adapter cannot bind the buffer (F_ϕ is not micro-batched over particles): the run says so
        // with the pairs that fit, and the kernels are still built.
        const refusal = await DeviceUpdateNet.create(gpu, optimizer.net, particles, plan).then(() => expect.fail('built over the binding limit'), (e: unknown) => e);
        expect(refusal).toBeInstanceOf(UpdateNetTooLargeError);
        expect((refusal as UpdateNetTooLargeError).hint).toMatch(/pes\(pairs: [1-7]\)/);
        console.log(`${config.name} --preset ${PAPER}, ${label}, ${name}: F_ϕ for ${particles} particles binds ${formatBytes(largest)}, `
          + `over this adapter's ${formatBytes(limit)} (${gpu.description.path}): meta-training it needs an adapter with a larger binding limit`);
        for (const kernel of plan.kernels) await pipelineOf(gpu, kernel);
      });

      it(`takes one PES outer step on the slice (${SLICE.pairs} pair, truncation ${SLICE.truncation})`, async () => {
        const task = tasks.get(label) ?? expect.fail(`no data for ${label}`);
        const optimizer = optimizers.get(name) ?? expect.fail(`${name} not lowered`);
        const problem = innerProblem(gpu ?? undefined, task, optimizer);
        const phi0 = optimizer.initialMeta(config.rule, new Rng(config.pes.seed));
        const pes = { ...SLICE, horizon: base.horizon, sigma: config.pes.sigma, accumulate: true, stagger: true, seed: config.pes.seed };
        expect(base.horizon % truncationFor(config, base)).toBe(0);
        try {
          const trainer = new PesMetaTrainer(problem, { pes, outerLr: config.pes.outerLr, clip: config.pes.clip }, phi0, undefined);
          const loss = await trainer.outerUpdate();
          expect(Number.isFinite(loss), `truncation loss ${loss}`).toBe(true);
          expect(trainer.phi.every(Number.isFinite)).toBe(true);
          expect(trainer.phi.some((v, k) => v !== phi0[k]), 'the outer step moved no meta-parameter').toBe(true);
        } finally {
          await problem.release?.();
        }
      });
    });
  });
});
