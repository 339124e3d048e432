// The curvature-estimation protocol (paper §6.1): for every model of the task, every training-set
// size of the sweep and every seed, train on the first n training examples, pick the epoch with the
// best validation error, and report the test error at that epoch. Nets without learned parameters
// (the standard estimator) are evaluated once on raw inputs; a task whose label is tr F also
// evaluates the trace's standard estimator (trace-estimator.ts), which needs no net.
//
// Each training run, and each evaluation, is an independent job (CurvatureJob): a local run
// (curvature-run.ts: the run directory, the data cache, the report) does them one after another in
// this process; `gmn run --queue` hands the same jobs to workers (runtime/queue), and the browser
// playground runs them in memory (runtime/playground/run-preset.ts), all through the same
// runCurvatureJob, so the numbers are the same. Nothing here touches files.
//
// Errors are measured in raw label units and made relative to the spread of the evaluated labels —
// MSE / Var(labels) for an `mse` task, MAE / mean |label − mean| for an `mae` task (the paper's
// "normalised test MAE") — so every model, size and seed is on the same scale whatever its
// training normalisation.
import { lowerNet, type Lowered } from '../../compiler/ir/lower.js';
import { DiagnosticError, error, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { ResolvedModule, ResolvedProgram } from '../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { batchInputs, batchLabels } from '../data/batches.js';
import type { CurvatureData } from '../data/curvature.js';
import { denormaliseLabels, fitNormalisation, type Normalisation } from '../data/normalisation.js';
import { checkSplitSizes, splitCurvatureData, trainingSubset, type CurvatureSplits, type Split } from '../data/splits.js';
import { ExampleTooLargeError } from '../device/gpu-error.js';
import type { Tensor } from '../reference/tensor.js';
import type { Checkpoint } from '../train/checkpoint.js';
import { initParams } from '../train/init.js';
import { initOptimizerState, type OptimizerConfig as TrainOptimizer } from '../train/optimizers.js';
import type { ExecutorFactory, TrainState } from '../train/executor.js';
import { formatBytes } from '../util/format-bytes.js';
import { Rng } from '../util/rng.js';
import { applyRecalibration, fitRecalibration } from './recalibration.js';
import { TRACE_ESTIMATOR, hasTraceEstimator, traceEstimates } from './trace-estimator.js';
import type { RunResult } from './summary.js';
import { JobHandedBack, type JobStore } from './job-store.js';
import { modelSetSize } from './model-set-size.js';
import type { Runner } from './job-runner.js';
import type { EpochMetrics } from './run-directory.js';
import type { Progress } from './progress.js';
import { modelLabel, type ModelConfig, type TaskConfig } from './task-config.js';
import type { LossKind } from '../../compiler/autodiff/loss.js';

/** The net without learned parameters every model is compared with. */
export const REFERENCE_NET = 'standard_estimator';
/** Examples per forward pass when evaluating (bounded so Θ_b inputs stay small). */
const EVAL_BATCH = 32;

/** Everything a curvature job needs besides its data: shared by a local run, a submitter and a worker. */
export interface CurvatureSetup {
  program: ResolvedProgram;
  module: ResolvedModule;
  task: TaskDecl;
  config: TaskConfig;
  target: TargetLayout;
  executor: ExecutorFactory;
  /** What trains the models here, recorded with every result. */
  device: string;
  progress: Progress;
  /** The dataset cache's folder (default: runtime/data/cache.ts's, under the working directory). */
  dataCache?: string;
}

export interface CurvatureModel {
  label: string;
  config: ModelConfig;
  lowered: Lowered;
  inputs: string[];
  params: number;
}

/**
 * The independent work of a sweep: one training run of a model at a training size and seed, or the
 * single evaluation of a model without learned parameters (which yields its results for every size
 * and seed). Jobs share nothing but the task and its data, so any machine can run any of them.
 */
export type CurvatureJob =
  | { kind: 'train'; model: string; trainSize: number; seed: number }
  | { kind: 'evaluate'; model: string };

/** A finished job: its results, and what a remote job could not write into the run directory itself. */
export interface JobOutcome {
  job: CurvatureJob;
  results: RunResult[];
  /** Per-epoch metrics not yet in metrics.jsonl (a local job has written its own). */
  epochs: EpochMetrics[];
  /** The final parameters, when not yet in trained/. */
  trained: Checkpoint | null;
}

/** Carries out a sweep's jobs: in this process, or on the workers of a job queue (runtime/queue). */
export type JobRunner = Runner<CurvatureJob, JobOutcome>;

/** The data every job of a task reads, loaded (or generated) once per process. */
export interface CurvatureContext {
  setup: CurvatureSetup;
  models: readonly CurvatureModel[];
  splits: CurvatureSplits;
  testSpread: number;
}

/** Checks the task's splits and lowers every model (no data is touched; curvature-run.ts also checks that the data fits here). */
export function curvatureModels(setup: CurvatureSetup): CurvatureModel[] {
  const { config } = setup;
  // A dataset read from files has as many models as its files hold: its splits are checked once it is read.
  if (config.data.generator === 'random_targets') checkSplitSizes(config.data.models, config.splits, config.trainSizes);
  return config.models.map((m, i) => lowerModel(setup, m, config.models, i));
}

/** The context every job reads, from the task's dataset (loaded, generated or read from files). */
export function curvatureContext(setup: CurvatureSetup, models: readonly CurvatureModel[], data: CurvatureData): CurvatureContext {
  const { config } = setup;
  const splits = splitCurvatureData(data, config.splits, config.trainSizes);
  return { setup, models, splits, testSpread: labelSpread(allLabels(splits.test), config.loss) };
}

/** What the reported errors are, in the words of report.md. */
export function errorMetric(config: TaskConfig): string {
  return config.loss === 'mse' ? 'relative test MSE (MSE / Var of test labels)' : 'normalised test MAE (MAE / mean absolute deviation of test labels)';
}

/** The reference the report compares every model with: the trace's estimator, or the task's standard estimator (if it has one). */
export function referenceModel(config: TaskConfig, target: TargetLayout, models: readonly CurvatureModel[]): string | undefined {
  return hasTraceEstimator(config, target) ? TRACE_ESTIMATOR : models.find((m) => m.config.net === REFERENCE_NET)?.label;
}

/** Every job of the task, in the order a local run does them. */
export function curvatureJobs(config: TaskConfig, models: readonly CurvatureModel[], target: TargetLayout): CurvatureJob[] {
  const jobs = models.flatMap((model): CurvatureJob[] => (model.params === 0
    ? [{ kind: 'evaluate', model: model.label }]
    : config.trainSizes.flatMap((trainSize) => config.seeds.map((seed): CurvatureJob => ({ kind: 'train', model: model.label, trainSize, seed })))));
  return hasTraceEstimator(config, target) ? [{ kind: 'evaluate', model: TRACE_ESTIMATOR }, ...jobs] : jobs;
}

/** Progress units of a job: one per epoch of a training run, one for an evaluation. */
export function jobUnits(config: TaskConfig, job: CurvatureJob): number {
  return job.kind === 'train' ? config.epochs : 1;
}

/** The (model, size, seed) results a job produces. */
export function jobResultKeys(config: TaskConfig, models: readonly CurvatureModel[], job: CurvatureJob): { model: string; trainSize: number; seed: number }[] {
  if (job.kind === 'train') return [{ model: job.model, trainSize: job.trainSize, seed: job.seed }];
  const isReference = job.model === TRACE_ESTIMATOR || findModel(models, job.model).config.net === REFERENCE_NET;
  const labels = isReference ? [job.model, recalibratedLabel(job.model)] : [job.model];
  return labels.flatMap((label) => config.trainSizes.flatMap((trainSize) => config.seeds.map((seed) => ({ model: label, trainSize, seed }))));
}

/** Runs one job. A training job keeps its checkpoints and metrics in `store`, and resumes from it. */
export async function runCurvatureJob(ctx: CurvatureContext, job: CurvatureJob, store: JobStore): Promise<RunResult[]> {
  if (job.kind === 'evaluate' && job.model === TRACE_ESTIMATOR) return evaluateTraceEstimator(ctx);
  const model = findModel(ctx.models, job.model);
  return blamingModel(model, async () => (job.kind === 'evaluate'
    ? evaluateUntrained(ctx, model)
    : [await train(ctx, model, job.trainSize, job.seed, store)]));
}

/** A job as progress lines and messages name it. */
export function jobName(job: CurvatureJob): string {
  return job.kind === 'evaluate' ? job.model : `${job.model} n=${job.trainSize} seed=${job.seed}`;
}

function findModel(models: readonly CurvatureModel[], label: string): CurvatureModel {
  const model = models.find((m) => m.label === label);
  if (model === undefined) throw new Error(`internal: no model ${label} in the task`);
  return model;
}

/** Runs `work`; a model too large for the device even one example at a time is an error at the model's entry. */
async function blamingModel<T>(model: CurvatureModel, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof ExampleTooLargeError)) throw e;
    throw new DiagnosticError([error('run/example-too-large',
      `${model.label}: one example needs ${formatBytes(e.bytes)} in buffer ${e.buffer}, over the ${formatBytes(e.limit)} the adapter can bind (so no micro-batch fits)`,
      model.config.span, 'use fewer points per set (data: { points: ... }), a narrower model, or a smaller target')]);
  }
}

function lowerModel(run: CurvatureSetup, m: ModelConfig, all: readonly ModelConfig[], index: number): CurvatureModel {
  const setSize = modelSetSize(run.module, m, run.config.data.points, run.target);
  if (!setSize.ok) throw new DiagnosticError(setSize.diagnostics);
  const lowered = lowerNet({ program: run.program, module: run.module, net: m.net, args: m.args, target: run.target, setSize: setSize.value });
  if (!lowered.ok) throw new DiagnosticError(lowered.diagnostics);
  const label = modelLabel(all, index);
  const graph = lowered.value.graph;
  let params = 0;
  for (const node of graph.nodes) if (node.op.op === 'param') params += node.op.shape.reduce((a, b) => a * b, 1);
  return { label, config: m, lowered: lowered.value, inputs: [...graph.inputs.keys()], params };
}

/**
 * A net without learned parameters is evaluated once on the test set, its result recorded for every
 * size and seed of the sweep. The standard estimator also gets its recalibrated line.
 */
async function evaluateUntrained(ctx: CurvatureContext, model: CurvatureModel): Promise<RunResult[]> {
  const started = performance.now();
  const { setup, splits } = ctx;
  const executor = await setup.executor(program(setup, model), emptyState());
  try {
    const forward = executor.forward.bind(executor);
    const test = await predictions(forward, splits.test, evalBatches(splits.test, model.inputs, null), null);
    if (model.config.net !== REFERENCE_NET) return referenceResults(ctx, model.label, model.config.net, test, null, started);
    const pool = await predictions(forward, splits.train, evalBatches(splits.train, model.inputs, null), null);
    return referenceResults(ctx, model.label, model.config.net, test, pool, started);
  } finally {
    executor.dispose();
  }
}

/** The standard estimator of tr F on the test set, and its recalibrated line. */
function evaluateTraceEstimator(ctx: CurvatureContext): RunResult[] {
  const started = performance.now();
  return referenceResults(ctx, TRACE_ESTIMATOR, TRACE_ESTIMATOR, traceEstimates(ctx.splits.test), traceEstimates(ctx.splits.train), started);
}

/**
 * The results of a reference without learned parameters, from its raw-unit predictions on the test
 * set: recorded for every size and seed of the sweep. With its predictions on the training pool, also
 * its recalibrated line (runtime/tasks/recalibration.ts), fitted on each training set of the sweep:
 * the same for every seed, so recorded once per seed like the reference itself.
 */
function referenceResults(ctx: CurvatureContext, label: string, net: string, test: Float64Array, pool: Float64Array | null, started: number): RunResult[] {
  const { setup, splits, testSpread } = ctx;
  const { trainSizes, seeds, loss } = setup.config;
  const results: RunResult[] = [];
  const record = (name: string, trainSize: number, testError: number, params: number, seconds: number): void => {
    for (const seed of seeds) {
      results.push({ model: name, net, trainSize, seed, testError, validationError: Number.NaN, bestEpoch: 0, params, seconds, device: setup.device });
    }
  };
  const testLabels = allLabels(splits.test);
  const testError = predictionError(test, testLabels, loss) / testSpread;
  for (const trainSize of trainSizes) record(label, trainSize, testError, 0, (performance.now() - started) / 1000);
  if (pool === null) return results;
  const width = splits.train.data.labelWidth;
  const groupOf = entryGroups(setup.target, width);
  const groups = Math.max(...groupOf) + 1;
  for (const trainSize of trainSizes) {
    const fitted = performance.now();
    const train = trainingSubset(splits.train, trainSize);
    const fits = fitRecalibration(pool.subarray(0, trainSize * width), allLabels(train), groupOf, groups);
    const error = predictionError(applyRecalibration(fits, test, groupOf), testLabels, loss) / testSpread;
    record(recalibratedLabel(label), trainSize, error, 2 * groups, (performance.now() - fitted) / 1000);
  }
  return results;
}

export function recalibratedLabel(label: string): string {
  return `${label}+recalibrated`;
}

/** The recalibration group of each label entry: its parameter block (one group for a scalar label). */
function entryGroups(target: TargetLayout, width: number): number[] {
  if (width !== target.paramCount) return new Array<number>(width).fill(0);
  const groupOf = new Array<number>(width).fill(0);
  target.params.forEach((block, k) => groupOf.fill(k, block.offset, block.offset + block.rows * (block.cols ?? 1)));
  return groupOf;
}

async function train(ctx: CurvatureContext, model: CurvatureModel, size: number, seed: number, store: JobStore): Promise<RunResult> {
  const { setup, splits, testSpread } = ctx;
  const { config, progress } = setup;
  const trainSplit = trainingSubset(splits.train, size);
  const norm = fitNormalisation(trainSplit, model.inputs);
  const fresh = initialState(model, config, seed);
  const resumed = await store.loadCheckpoint(fresh, (line) => progress.log(`${model.label} n=${size} seed=${seed}: ${line}`));
  const state = resumed?.state ?? fresh;
  // The batch order comes from one Rng per training run, saved with every checkpoint.
  const order = resumed === null ? new Rng(seed * 1_000_003 + size) : Rng.fromState(resumed.rng);
  const executor = await setup.executor(program(setup, model, size), state);
  const validation = evalSet(splits.validation, model.inputs, norm, config.loss);
  const test = evalSet(splits.test, model.inputs, norm, config.loss);
  const forward = executor.forward.bind(executor);
  let best = resumed?.best ?? { epoch: 0, validationError: Number.POSITIVE_INFINITY, testError: Number.NaN };
  // Only the best validation epoch's test error is reported, so the test set is evaluated once, on
  // that epoch's parameters, when training ends (not at every improvement): kept until then.
  let bestParams = resumed?.bestParams ?? null;
  if (best.epoch > 0 && Number.isNaN(best.testError) && bestParams === null) {
    throw new Error(`internal: the checkpoint of ${model.label} n=${size} seed=${seed} lacks its best epoch's parameters`);
  }
  let seconds = resumed?.seconds ?? 0;
  try {
    for (let epoch = resumed === null ? 1 : resumed.epoch + 1; epoch <= config.epochs; epoch++) {
      const started = performance.now();
      const permutation = order.permutation(size);
      let lossSum = 0;
      let batches = 0;
      // One step in flight ahead: the next batch is built and submitted while the device runs
      // this one (the losses are still summed in order).
      let pending: Promise<number> | null = null;
      for (let i = 0; i < size; i += config.batch) {
        const indices = permutation.slice(i, i + config.batch);
        const next = executor.trainStep({
          inputs: batchInputs(trainSplit, indices, model.inputs, norm),
          target: batchLabels(trainSplit, indices, norm),
        });
        next.catch(() => undefined); // its failure is thrown where it is awaited
        if (pending !== null) lossSum += await pending;
        pending = next;
        batches++;
      }
      if (pending !== null) lossSum += await pending;
      if (!Number.isFinite(lossSum)) {
        throw new DiagnosticError([trainingDiverged(model, size, seed, epoch)]);
      }
      const validationError = (await rawError(forward, validation, norm, config.loss)) / validation.spread;
      const state = await executor.readState();
      if (validationError < best.validationError) {
        best = { epoch, validationError, testError: Number.NaN };
        bestParams = state.params;
      }
      seconds += (performance.now() - started) / 1000;
      await store.epochDone(
        { model: model.label, trainSize: size, seed, epoch, trainLoss: lossSum / batches, validationError, seconds },
        { state, rng: order.state(), batchSize: config.batch, epoch, best, seconds, ...(bestParams === null ? {} : { bestParams }) },
      );
      progress.advance(1, `${model.label} n=${size} seed=${seed} epoch ${epoch}/${config.epochs} val ${validationError.toPrecision(3)}`);
      if (epoch < config.epochs && store.stopRequested()) throw new JobHandedBack(epoch);
    }
    const final = await executor.readState();
    if (bestParams !== null) {
      const started = performance.now();
      await executor.writeState({ ...final, params: new Map(bestParams) });
      best = { ...best, testError: (await rawError(forward, test, norm, config.loss)) / testSpread };
      seconds += (performance.now() - started) / 1000;
    }
    // Kept after the run's checkpoint is removed, so the trained net can be verified (gmn verify --params).
    await store.trained({ state: final, rng: order.state(), batchSize: config.batch });
  } finally {
    executor.dispose();
  }
  return {
    model: model.label, net: model.config.net, trainSize: size, seed,
    testError: best.testError, validationError: best.validationError, bestEpoch: best.epoch, params: model.params, seconds, device: setup.device,
  };
}

/** The training program of a model on `size` training examples (the size sets a schedule's length). */
function program(run: CurvatureSetup, model: CurvatureModel, size = 0) {
  return { net: model.lowered.graph, inst: model.lowered.instantiation, loss: run.config.loss, optimizer: trainOptimizer(run.config, size) };
}

function trainOptimizer(config: TaskConfig, size: number): TrainOptimizer {
  const o = config.optimizer;
  const schedule = o.schedule === 'cosine' || o.warmup > 0
    ? { kind: o.schedule, steps: config.epochs * Math.ceil(size / config.batch), ...(o.warmup > 0 ? { warmup: o.warmup } : {}) }
    : undefined;
  const clip = o.clipNorm > 0 ? { clipNorm: o.clipNorm } : {};
  return o.kind === 'sgd'
    ? { kind: 'sgd', lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, schedule, ...clip }
    : { kind: o.kind, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, schedule, ...clip };
}

function initialState(model: CurvatureModel, config: TaskConfig, seed: number): TrainState {
  const params = initParams(model.lowered.graph, new Rng(seed));
  return { params, optimizer: initOptimizerState(trainOptimizer(config, 0), params), step: 0 };
}

function emptyState(): TrainState {
  return { params: new Map(), optimizer: { slots: new Map() }, step: 0 };
}

/** The input batches of a split as evaluation reads them: EVAL_BATCH examples each, normalised with `norm` (raw if null). */
function* evalBatches(split: Split, inputs: string[], norm: Normalisation | null): Generator<Map<string, Tensor>> {
  for (let start = 0; start < split.count; start += EVAL_BATCH) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH, split.count - start) }, (_, i) => start + i);
    yield batchInputs(split, indices, inputs, norm);
  }
}

/**
 * A split that a training run evaluates after every epoch, prepared once per run: its normalised
 * input batches, raw labels and label spread are the same every epoch.
 */
interface EvalSet {
  split: Split;
  batches: Map<string, Tensor>[];
  labels: Float64Array;
  spread: number;
}

function evalSet(split: Split, inputs: string[], norm: Normalisation, loss: LossKind): EvalSet {
  const labels = allLabels(split);
  return { split, batches: [...evalBatches(split, inputs, norm)], labels, spread: labelSpread(labels, loss) };
}

/** Every prediction of a split, [count, label width] row-major, in raw label units. */
async function predictions(
  forward: (inputs: ReadonlyMap<string, Tensor>) => Promise<Tensor>, split: Split, batches: Iterable<Map<string, Tensor>>, norm: Normalisation | null,
): Promise<Float64Array> {
  const out = new Float64Array(split.count * split.data.labelWidth);
  let start = 0;
  for (const inputs of batches) {
    const count = Math.min(EVAL_BATCH, split.count - start);
    const batch = (await forward(inputs)).data;
    if (batch.length !== count * split.data.labelWidth) {
      throw new Error(`internal: prediction has ${batch.length} values for ${count * split.data.labelWidth} labels`);
    }
    out.set(norm === null ? batch : denormaliseLabels(norm, Float64Array.from(batch)), start * split.data.labelWidth);
    start += count;
  }
  return out;
}

/** Mean over examples and entries of (prediction − label)² (mse) or |prediction − label| (mae), in raw label units. */
async function rawError(
  forward: (inputs: ReadonlyMap<string, Tensor>) => Promise<Tensor>, set: EvalSet, norm: Normalisation, loss: LossKind,
): Promise<number> {
  return predictionError(await predictions(forward, set.split, set.batches, norm), set.labels, loss);
}

function predictionError(predicted: Float64Array, labels: Float64Array, loss: LossKind): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += deviation(predicted[i]! - labels[i]!, loss);
  return sum / labels.length;
}

function allLabels(split: Split): Float64Array {
  return Float64Array.from(batchLabels(split, Array.from({ length: split.count }, (_, i) => i), null).data);
}

/** The error of always predicting the mean label: Var(labels) for mse, mean |label − mean| for mae. */
function labelSpread(labels: Float64Array, loss: LossKind): number {
  const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
  return labels.reduce((a, b) => a + deviation(b - mean, loss), 0) / labels.length;
}

function deviation(d: number, loss: LossKind): number {
  return loss === 'mse' ? d * d : Math.abs(d);
}

function trainingDiverged(model: CurvatureModel, size: number, seed: number, epoch: number): Diagnostic {
  return {
    severity: 'error',
    code: 'run/diverged',
    message: `training ${model.label} (n=${size}, seed ${seed}) diverged in epoch ${epoch}: the loss is not finite`,
    span: model.config.span,
    hint: 'lower the optimizer learning rate (optimizer: adam(lr: ...)) or the model width',
  };
}
