// The PES inner problem of a base task on the device (an image MLP or the LM): all runs of a truncation (every
// particle, each under its own φ) advance together, one dispatch series per inner step
// (device-inner-runs.ts). The runs' states come in and go out as the float64 problem's RuleStates
// (float32 values), so PES, checkpoints and resume treat both problems alike; batches are drawn as
// the float64 problem draws them (run j from dataSeeds[j >> 1], `batch` indices per step).
import type { GpuDevice } from '../../device/index.js';
import type { ParticleSets } from '../../particles/particle-sets.js';
import { Rng } from '../../util/rng.js';
import { DeviceInnerRuns } from './device-inner-runs.js';
import { DeviceTaskData } from './device-target.js';
import type { DeviceTaskForm, InnerTask } from './inner-task.js';
import type { LearnedOptimizer } from './learned-optimizer.js';
import type { UnrollProblem, Unrolled } from './pes.js';
import { initialRuleState, type RuleState } from './update-rule.js';

export class DeviceLearnedOptimizerProblem implements UnrollProblem<RuleState> {
  readonly metaSize: number;
  private readonly data: DeviceTaskData;
  /** Device runs by run count (PES always asks for the same count; tests and benches for others). */
  private readonly runs = new Map<number, Promise<DeviceInnerRuns>>();

  constructor(
    private readonly gpu: GpuDevice,
    readonly task: InnerTask,
    readonly optimizer: LearnedOptimizer,
  ) {
    if (task.device === undefined) throw new Error(`internal: ${task.name} has no device form`);
    this.metaSize = optimizer.metaSize;
    this.data = DeviceTaskData.of(gpu, task.device);
  }

  initialState(rng: Rng): RuleState {
    return initialRuleState(this.task.initialTheta(rng));
  }

  async unroll(states: readonly RuleState[], metas: ParticleSets, steps: number, dataSeeds: readonly number[]): Promise<Unrolled<RuleState>> {
    const R = states.length;
    let runs = this.runs.get(R);
    if (runs === undefined) {
      runs = DeviceInnerRuns.create(this.gpu, this.data, { kind: 'learned', optimizer: this.optimizer }, R);
      this.runs.set(R, runs);
    }
    const device = await runs;
    device.loadLearned(states, Array.from({ length: R }, (_, j) => metas.row(j)));
    await device.train(steps, batchIndices(this.data.data, R, steps, (j) => dataSeeds[j >> 1]!));
    return device.learnedStates(states, steps);
  }

  async release(): Promise<void> {
    for (const runs of this.runs.values()) (await runs).release();
  }
}

/** [steps, runs, batch]: run j's draws (examples, or window starts) at every step, from `seedOf(j)` as the float64 task draws them. */
export function batchIndices(data: DeviceTaskForm, runs: number, steps: number, seedOf: (run: number) => number): Uint32Array {
  const { batch, train } = data;
  const index = new Uint32Array(steps * runs * batch);
  const drawn = new Map<number, Uint32Array>();
  for (let j = 0; j < runs; j++) {
    const seed = seedOf(j);
    let draws = drawn.get(seed);
    if (draws === undefined) {
      const rng = new Rng(seed);
      draws = Uint32Array.from({ length: steps * batch }, () => rng.int(train.count));
      drawn.set(seed, draws);
    }
    for (let t = 0; t < steps; t++) index.set(draws.subarray(t * batch, (t + 1) * batch), (t * runs + j) * batch);
  }
  return index;
}
