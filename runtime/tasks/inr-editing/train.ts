// One training run of an INR editor: a model, an edit, a learning rate and a seed. Every step
// draws `batch` training INRs, renders the edited INR θ + Δθ on the full grid (inside the net:
// `render`) and takes AdamW's step on the MSE to the edited image. Every `eval_every` steps the
// validation MSE is measured; the test MSE of the best validation point is reported, and those
// parameters become the trained editor (`trained/`). A checkpoint after every validation makes the
// run resumable; the best parameters so far are kept beside it. Both live in the run's EditorStore
// (editor-store.ts): the run directory locally, Redis on a queue's worker.
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import type { Lowered } from '../../../compiler/ir/lower.js';
import type { Tensor } from '../../reference/tensor.js';
import type { Executor, ExecutorFactory, TrainState } from '../../train/executor.js';
import { initParams } from '../../train/init.js';
import { initOptimizerState, type OptimizerConfig as TrainOptimizer } from '../../train/optimizers.js';
import { Rng } from '../../util/rng.js';
import type { ModelConfig } from '../task-config.js';
import { JobHandedBack } from '../job-store.js';
import type { RunResult } from '../report.js';
import type { Progress } from '../progress.js';
import type { InrEditingConfig } from './config.js';
import type { EditorStore } from './editor-store.js';
import { batchInputs, batchTargets, splitsOf, type EditDataset, type Split } from './data.js';
import { IMAGE_PIXELS } from '../../inr/images.js';

/** Editors evaluated per forward pass. */
const EVAL_BATCH = 32;
/**
 * Training steps queued on the executor before the oldest one's loss is awaited: the host draws and
 * uploads the next batches while the device computes, and no step waits for a readback. Bounded, as
 * every queued step holds its batch.
 */
const STEPS_IN_FLIGHT = 4;

export interface EditorModel {
  label: string;
  config: ModelConfig;
  lowered: Lowered;
  /** The net's tensor inputs (`theta`, `grads`, `probes`) with their channel counts. */
  inputs: Map<string, number>;
  params: number;
}

/** What results.jsonl holds for one run (the run directory's fields, and the protocol's own). */
export interface EditRunResult extends RunResult {
  edit: string;
  editor: string;
  lr: number;
  /** Validation MSE of the untrained editor (step 0). */
  initialValidationError: number;
  /** Renderings of the figure's test INRs by the trained editor, [figure, 28·28]. */
  figure: number[];
}

export interface TrainContext {
  config: InrEditingConfig;
  executor: ExecutorFactory;
  progress: Progress;
}

export function runLabel(edit: string, model: string, lr: number): string {
  return `${edit}/${model}/lr${lr}`;
}

export async function trainEditor(ctx: TrainContext, data: EditDataset, model: EditorModel, lr: number, seed: number, store: EditorStore): Promise<EditRunResult> {
  const { config } = ctx;
  const splits = splitsOf(config);
  const label = runLabel(data.edit.label, model.label, lr);
  const optimizer = editorOptimizer(config, lr);
  const params = initParams(model.lowered.graph, new Rng(seed));
  const fresh: TrainState = { params, optimizer: initOptimizerState(optimizer, params), step: 0 };
  const log = (line: string): void => ctx.progress.log(`${label} seed=${seed}: ${line}`);
  const resumed = await store.loadCheckpoint(fresh, log);
  const resumedBest = resumed !== null ? await store.loadBest() : null;
  const rounds = Math.ceil(config.steps / config.evalEvery);
  const order = resumed === null ? new Rng(seed * 1_000_003 + 17) : Rng.fromState(resumed.rng);
  const executor = await ctx.executor({ net: model.lowered.graph, inst: model.lowered.instantiation, loss: 'mse', optimizer }, resumed?.state ?? fresh);
  let best = resumed?.best ?? { epoch: 0, validationError: Number.POSITIVE_INFINITY, testError: Number.NaN };
  let bestState: TrainState | null = resumedBest;
  let seconds = resumed?.seconds ?? 0;
  try {
    const initialValidationError = await meanError(executor, data, model, config, splits.validation);
    if (resumed === null) {
      best = { epoch: 0, validationError: initialValidationError, testError: await meanError(executor, data, model, config, splits.test) };
      bestState = await executor.readState();
    }
    for (let round = (resumed?.epoch ?? 0) + 1; round <= rounds; round++) {
      const started = performance.now();
      const stepsNow = Math.min(config.evalEvery, config.steps - (round - 1) * config.evalEvery);
      let lossSum = 0;
      const inFlight: Promise<number>[] = [];
      for (let s = 0; s < stepsNow; s++) {
        const indices = order.permutation(splits.train.count).slice(0, config.batch).map((i) => splits.train.start + i);
        const loss = executor.trainStep({ inputs: batchInputs(data, model.inputs, config.data.points, indices), target: batchTargets(data, indices) });
        // A failure is thrown where the step is awaited; steps queued behind it must not go unhandled meanwhile.
        loss.catch(() => undefined);
        inFlight.push(loss);
        if (inFlight.length >= STEPS_IN_FLIGHT) lossSum += await inFlight.shift()!;
      }
      for (const loss of inFlight) lossSum += await loss;
      if (!Number.isFinite(lossSum)) {
        throw new DiagnosticError([error('run/diverged', `training ${model.label} on ${data.edit.label} (lr ${lr}, seed ${seed}) diverged: the loss is not finite`, model.config.span,
          'lower the learning rates (learning_rates: [...]) or the editor\'s out_scale')]);
      }
      const step = (round - 1) * config.evalEvery + stepsNow;
      const validationError = await meanError(executor, data, model, config, splits.validation);
      if (validationError < best.validationError) {
        best = { epoch: step, validationError, testError: await meanError(executor, data, model, config, splits.test) };
        bestState = await executor.readState();
        await store.saveBest({ state: bestState, rng: order.state(), batchSize: config.batch });
      }
      seconds += (performance.now() - started) / 1000;
      await store.epochDone(
        { model: label, trainSize: splits.train.count, seed, epoch: step, trainLoss: lossSum / stepsNow, validationError, seconds },
        { state: await executor.readState(), rng: order.state(), batchSize: config.batch, epoch: round, best, seconds },
      );
      ctx.progress.advance(stepsNow, `${label} seed=${seed} step ${step}/${config.steps} val MSE ${validationError.toPrecision(3)}`);
      if (round < rounds && store.stopRequested()) throw new JobHandedBack(step, 'step');
    }
    const trained = bestState ?? await executor.readState();
    await executor.writeState(trained);
    const figure = await renderings(executor, data, model, config, Array.from({ length: Math.min(config.figure, splits.test.count) }, (_, i) => splits.test.start + i));
    await store.trained({ state: trained, rng: order.state(), batchSize: config.batch });
    return {
      model: label, net: model.config.net, trainSize: splits.train.count, seed, testError: best.testError, validationError: best.validationError,
      bestEpoch: best.epoch, params: model.params, seconds, edit: data.edit.label, editor: model.label, lr, initialValidationError, figure: Array.from(figure, (v) => Math.round(v * 1e4) / 1e4),
    };
  } finally {
    executor.dispose();
  }
}

/**
 * The task's optimizer at one learning rate of its grid; `schedule: cosine` decays it to 0 over the
 * run's steps, `warmup: W` raises it linearly over the first W, `clip_norm: c` clips the gradients.
 */
export function editorOptimizer(config: InrEditingConfig, lr: number): TrainOptimizer {
  const o = config.optimizer;
  const schedule = o.schedule === 'cosine' || o.warmup > 0
    ? { kind: o.schedule, steps: config.steps, ...(o.warmup > 0 ? { warmup: o.warmup } : {}) }
    : undefined;
  return { kind: o.kind === 'adam' ? 'adam' : 'adamw', lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, schedule, ...(o.clipNorm > 0 ? { clipNorm: o.clipNorm } : {}) };
}

/** Mean over the split's INRs and pixels of (render(θ + Δθ) − edited image)². */
async function meanError(executor: Executor, data: EditDataset, model: EditorModel, config: InrEditingConfig, split: Split): Promise<number> {
  let sum = 0;
  for (let start = 0; start < split.count; start += EVAL_BATCH) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH, split.count - start) }, (_, i) => split.start + start + i);
    const out = await forward(executor, data, model, config, indices);
    const target = batchTargets(data, indices).data;
    for (let i = 0; i < target.length; i++) sum += (out.data[i]! - target[i]!) ** 2;
  }
  return sum / (split.count * IMAGE_PIXELS);
}

async function renderings(executor: Executor, data: EditDataset, model: EditorModel, config: InrEditingConfig, indices: number[]): Promise<Float64Array> {
  return indices.length === 0 ? new Float64Array(0) : (await forward(executor, data, model, config, indices)).data;
}

function forward(executor: Executor, data: EditDataset, model: EditorModel, config: InrEditingConfig, indices: number[]): Promise<Tensor> {
  return executor.forward(batchInputs(data, model.inputs, config.data.points, indices));
}
