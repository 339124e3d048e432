// Evaluation curves on the device, the twins of evaluation.ts's float64 adamCurve and learnedCurve:
// every seed of one optimizer (and of every rate of Adam's grid) is one run of a batch
// (DeviceInnerRuns), each from its seed's initialisation and batches exactly as the float64 curve
// draws them, and the test loss of every run is taken on the device every `every` steps (and at
// step 0). Float32: the curves agree with the float64 ones to float32 accuracy
// (tests/learned-optimizer/device-evaluation.test.ts).
import type { GpuDevice } from '../../device/index.js';
import type { MlpRunsShapes } from '../../targets/gpu-mlp-runs.js';
import { Rng } from '../../util/rng.js';
import { DeviceInnerRuns, type AdamConstants } from './device-inner-runs.js';
import { DeviceTaskData } from './device-target.js';
import type { Curve, CurveOptions } from './evaluation.js';
import type { InnerTask } from './inner-task.js';
import type { LearnedOptimizer } from './learned-optimizer.js';
import { initialRuleState } from './update-rule.js';

/** `tiles`: an image MLP's kernel tiles (default: the measured ones; tests split the layers finer). */
export type DeviceCurveOptions = Omit<CurveOptions, 'seed' | 'trajectory'> & { tiles?: MlpRunsShapes };

/** Adam's constants as adam() sets them (train/optimizers.ts); the rate is the curve's. */
const ADAM: AdamConstants = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Adam's curves for every learning rate of `lrs` and every seed, all of them runs of one batch (run
 * i·S + s: rate i, seed s), so a grid costs one dispatch series per inner step: per rate, per seed.
 */
export async function deviceAdamCurves(gpu: GpuDevice, task: InnerTask, lrs: readonly number[], seeds: readonly number[], options: DeviceCurveOptions): Promise<Curve[][]> {
  const runs = await DeviceInnerRuns.create(gpu, deviceData(gpu, task), { kind: 'adam', adam: ADAM }, lrs.length * seeds.length, options.tiles);
  const starts = lrs.flatMap(() => seeds.map((seed) => seeded(task, seed)));
  runs.loadAdam(starts.map((s) => s.theta), lrs.flatMap((lr) => seeds.map(() => lr)));
  const all = await curves(runs, task, starts.map((s) => s.data), options);
  return lrs.map((_, i) => all.slice(i * seeds.length, (i + 1) * seeds.length));
}

export async function deviceLearnedCurves(gpu: GpuDevice, task: InnerTask, optimizer: LearnedOptimizer, phi: Float64Array, seeds: readonly number[], options: DeviceCurveOptions): Promise<Curve[]> {
  const runs = await DeviceInnerRuns.create(gpu, deviceData(gpu, task), { kind: 'learned', optimizer }, seeds.length, options.tiles);
  const starts = seeds.map((seed) => seeded(task, seed));
  runs.loadLearned(starts.map((s) => initialRuleState(s.theta)), seeds.map(() => phi));
  return curves(runs, task, starts.map((s) => s.data), options);
}

function deviceData(gpu: GpuDevice, task: InnerTask): DeviceTaskData {
  if (task.device === undefined) throw new Error(`internal: ${task.name} has no device form`);
  return DeviceTaskData.of(gpu, task.device);
}

/** As evaluation.ts seeds a curve: the initialisation, then a fork of the same stream for the batches. */
function seeded(task: InnerTask, seed: number): { theta: Float64Array; data: Rng } {
  const rng = new Rng(seed);
  return { theta: task.initialTheta(rng), data: rng.fork() };
}

async function curves(runs: DeviceInnerRuns, task: InnerTask, data: Rng[], options: DeviceCurveOptions): Promise<Curve[]> {
  try {
    const { horizon, every } = options;
    const { batch, train } = task.device!;
    const R = runs.runs;
    // Every run's batches for the whole horizon, drawn as trainLoss draws them: [horizon, R, b].
    const index = new Uint32Array(horizon * R * batch);
    data.forEach((rng, r) => {
      for (let t = 0; t < horizon; t++) for (let i = 0; i < batch; i++) index[(t * R + r) * batch + i] = rng.int(train.count);
    });
    const out: Curve[] = data.map(() => ({ steps: [], losses: [] }));
    const record = (step: number, losses: Float64Array) => out.forEach((c, r) => {
      c.steps.push(step);
      c.losses.push(losses[r]!);
    });
    record(0, await runs.testLosses());
    let done = 0;
    while (done < horizon) {
      const next = Math.min(horizon, (Math.floor(done / every) + 1) * every);
      await runs.train(next - done, index.subarray(done * R * batch, next * R * batch), done);
      done = next;
      record(done, await runs.testLosses());
    }
    return out;
  } finally {
    runs.release();
  }
}
