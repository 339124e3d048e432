// The training loop: draws mini-batches from a dataset with a seeded Rng, runs the executor's
// training step on each, and returns the losses. Its whole state is the executor's TrainState plus
// the Rng's state, which is exactly what a checkpoint stores — so a resumed run draws the same
// batches and computes the same numbers as an uninterrupted one.
import { tensor, type Tensor } from '../reference/tensor.js';
import { Rng } from '../util/rng.js';
import type { Checkpoint } from './checkpoint.js';
import type { Batch, Executor } from './executor.js';

/** N examples: every net input with shape [N, ...] and the target with shape [N, ...]. */
export interface Dataset {
  inputs: Map<string, Tensor>;
  target: Tensor;
}

export interface TrainerOptions {
  batchSize: number;
  /** Seed of the batch-sampling Rng (ignored when resuming from a checkpoint). */
  seed: number;
}

export class Trainer {
  private constructor(readonly executor: Executor, private readonly data: Dataset, private readonly batchSize: number, private rng: Rng) {}

  static create(executor: Executor, data: Dataset, options: TrainerOptions): Trainer {
    return new Trainer(executor, data, options.batchSize, new Rng(options.seed));
  }

  /** A trainer that continues from a checkpoint (the executor's state is replaced by it). */
  static async resume(executor: Executor, data: Dataset, checkpoint: Checkpoint): Promise<Trainer> {
    await executor.writeState(checkpoint.state);
    return new Trainer(executor, data, checkpoint.batchSize, Rng.fromState(checkpoint.rng));
  }

  /** Runs `steps` training steps; returns each step's batch-mean loss (before its update). */
  async run(steps: number): Promise<number[]> {
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push(await this.executor.trainStep(this.nextBatch()));
    return losses;
  }

  async checkpoint(): Promise<Checkpoint> {
    return { state: await this.executor.readState(), rng: this.rng.state(), batchSize: this.batchSize };
  }

  /** batchSize distinct examples, uniformly at random. */
  private nextBatch(): Batch {
    const n = this.data.target.shape[0]!;
    const picks = this.rng.permutation(n).slice(0, Math.min(this.batchSize, n));
    return {
      inputs: new Map([...this.data.inputs].map(([name, t]) => [name, takeRows(t, picks)])),
      target: takeRows(this.data.target, picks),
    };
  }
}

/** Rows `picks` of the leading axis. */
export function takeRows(t: Tensor, picks: number[]): Tensor {
  const row = t.data.length / t.shape[0]!;
  const out = tensor([picks.length, ...t.shape.slice(1)]);
  picks.forEach((p, i) => out.data.set(t.data.subarray(p * row, (p + 1) * row), i * row));
  return out;
}
