// The learned-optimization protocol as independent jobs (the same mechanism as the curvature sweep:
// runtime/tasks/job-runner.ts), so a local run and the workers of a job queue run the same code:
//   meta-train  one learned optimizer on one base task: PES meta-training (sequential, checkpointed
//               into the job's store every few outer steps, resumable bit-identically), then its
//               evaluation curves for every seed (and the regression's θ path for the first seed)
//   adam        one learning rate of the Adam grid on one base task: its curves for every seed (a
//               local run batches the grid's rates on the device: runAdamJobs)
// The report is assembled from the recorded outcomes (baseTaskResult), in the order of the task's
// optimizers and learning rates, whatever order the jobs finished in.
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { GpuDevice } from '../../device/index.js';
import { Rng } from '../../util/rng.js';
import { JobHandedBack } from '../job-store.js';
import type { JobDescription, Runner } from '../job-runner.js';
import type { Progress } from '../progress.js';
import { fileLabel } from '../run-directory.js';
import { baseTaskLayout, gradientSetSize, loadBaseTask } from './base-task.js';
import { baseTaskOptimizers, optimizerLabel, truncationFor, type BaseTaskConfig, type LearnedOptimizationConfig } from './config.js';
import { adamCurve, bestPoint, learnedCurve, scoreAgainstAdam, type Curve, type CurveOptions } from './evaluation.js';
import { innerProblem } from './device-backend.js';
import { deviceAdamCurves, deviceLearnedCurves } from './device-evaluation.js';
import type { InnerTask } from './inner-task.js';
import { optimizerFor, type LearnedOptimizer } from './learned-optimizer.js';
import { encodeMetaCurve, metaCurvePoint, parseMetaCurve, type MetaCurvePoint } from './meta-curve.js';
import { PesMetaTrainer, type MetaTrainerState } from './meta-trainer.js';
import type { BaseTaskResult } from './report.js';
import type { RuleState } from './update-rule.js';

/** Points per evaluation curve (the test loss is recorded every horizon / CURVE_POINTS steps). */
const CURVE_POINTS = 50;
/**
 * Most runs of one batch of Adam's grid (rates × seeds): the paper's 20 rates × 5 seeds on the
 * CIFAR-100 MLP's 1,000 test examples already hold ~0.5 GB of test activations.
 */
const GRID_RUNS = 64;
/** Outer steps between meta-training checkpoints, unless the run says otherwise. */
export const CHECKPOINT_EVERY = 10;

export type LearnedOptimizerJob =
  | { kind: 'meta-train'; base: string; optimizer: string }
  | { kind: 'adam'; base: string; lr: number };

type AdamJob = Extract<LearnedOptimizerJob, { kind: 'adam' }>;

/** A finished job: the curves of every seed, and what its kind adds. */
export type LearnedOptimizerOutcome = {
  curves: Curve[];
  /** The regression's θ path under the first seed (Figure 8); undefined for image tasks. */
  trajectory: number[][] | undefined;
  /** What computed it (a worker names its host). */
  device: string;
} & ({ job: Extract<LearnedOptimizerJob, { kind: 'meta-train' }>; phi: Float64Array; metaCurve: MetaCurvePoint[] } | { job: AdamJob; params: number });

export type MetaState = MetaTrainerState<RuleState>;

/** What a checkpoint holds: the trainer's state and the meta-training curve so far. */
export type MetaCheckpoint = { trainer: MetaState; metaCurve: MetaCurvePoint[] };

/** A meta-trained optimizer as its trained/ file holds it. */
export type Trained = { phi: Float64Array; metaCurve: MetaCurvePoint[] };

/** Where a meta-training job keeps its state: the run directory locally, Redis on a worker. */
export interface MetaTrainingStore {
  /** φ meta-trained by an earlier run of this job (checked by `parse`), or null. */
  trained(parse: (text: string) => Trained): Promise<Trained | null>;
  /** The latest usable checkpoint (checked by `parse`), or null to start from scratch. */
  loadCheckpoint(parse: (text: string) => MetaCheckpoint): Promise<MetaCheckpoint | null>;
  /** Every few outer steps: the state that resumes after this step, as text. */
  saveCheckpoint(text: string, outerStep: number): Promise<void>;
  /** Meta-training is over: φ, as the trained/ file holds it. */
  done(text: string): Promise<void>;
  /** Whether the job should stop after the checkpoint just saved and be handed back. */
  stopRequested(): boolean;
}

/** What every job of a task reads, built once per process; base tasks' data is loaded on first use. */
export interface LearnedOptimizerContext {
  program: ResolvedProgram;
  module: ResolvedModule;
  config: LearnedOptimizationConfig;
  progress: Progress;
  device: string;
  /** The device image tasks' meta-training runs on (device-backend.ts), or undefined: float64. */
  gpu?: GpuDevice | undefined;
  checkpointEvery: number;
  bases: Map<string, { base: BaseTaskConfig; optimizers: LearnedOptimizer[]; task?: InnerTask }>;
}

export function learnedOptimizerContext(setup: Omit<LearnedOptimizerContext, 'bases' | 'checkpointEvery'> & { checkpointEvery?: number | undefined }): LearnedOptimizerContext {
  const { program, module, config } = setup;
  const bases = new Map(config.baseTasks.map((base) => {
    const layout = baseTaskLayout(module, base);
    return [base.label, { base, optimizers: baseTaskOptimizers(config, base).map((o) => optimizerFor(program, module, o, gradientSetSize(base, layout), layout)) }] as const;
  }));
  return { ...setup, checkpointEvery: setup.checkpointEvery ?? CHECKPOINT_EVERY, bases };
}

/** Every job of the task, in the order a local run does them: per base task, meta-training first. */
export function learnedOptimizerJobs(config: LearnedOptimizationConfig): LearnedOptimizerJob[] {
  return config.baseTasks.flatMap((base): LearnedOptimizerJob[] => [
    ...baseTaskOptimizers(config, base).map((o): LearnedOptimizerJob => ({ kind: 'meta-train', base: base.label, optimizer: optimizerLabel(o) })),
    ...config.adamLrs.map((lr): LearnedOptimizerJob => ({ kind: 'adam', base: base.label, lr })),
  ]);
}

export function learnedOptimizerJobName(job: LearnedOptimizerJob): string {
  return job.kind === 'adam' ? `Adam lr ${job.lr} on ${job.base}` : `${job.optimizer} on ${job.base}`;
}

/** The job's file name in the run directory (outcomes/, trained/, checkpoints/). */
export function jobFileName(job: LearnedOptimizerJob): string {
  return job.kind === 'adam' ? `${fileLabel(job.base)}-adam-lr${job.lr}` : `${fileLabel(job.base)}-${fileLabel(job.optimizer)}`;
}

/** What the queue needs to know about these jobs (runtime/queue/queue-runner.ts). */
export function learnedOptimizerJobDescription(config: LearnedOptimizationConfig): JobDescription<LearnedOptimizerJob, LearnedOptimizerOutcome> {
  return {
    name: learnedOptimizerJobName,
    units: (job) => jobUnits(config, job),
    // Meta-training is the long chain: it goes first.
    cost: (job) => (job.kind === 'meta-train' ? config.pes.outerSteps : 0),
    decode: async (job, value) => decodeOutcome(job, value),
    device: (outcome) => outcome.device,
  };
}

/** Progress units: one per outer step of meta-training, one for an Adam grid point. */
export function jobUnits(config: LearnedOptimizationConfig, job: LearnedOptimizerJob): number {
  return job.kind === 'meta-train' ? config.pes.outerSteps : 1;
}

/** Runs one job; a meta-training job keeps its checkpoints in `store` and resumes from it. */
export async function runLearnedOptimizerJob(ctx: LearnedOptimizerContext, job: LearnedOptimizerJob, store: MetaTrainingStore): Promise<LearnedOptimizerOutcome> {
  const entry = ctx.bases.get(job.base);
  if (entry === undefined) throw new Error(`internal: no base task ${job.base} in the task`);
  const { base } = entry;
  const task = baseTask(ctx, entry);
  if (job.kind === 'adam') return (await runAdamJobs(ctx, [job]))[0]!;
  const options = curveOptions(base);
  // Tasks with a device form evaluate every seed at once on the device when the run has one (device-evaluation.ts).
  const gpu = task.device === undefined ? undefined : ctx.gpu;
  const optimizer = entry.optimizers.find((o) => o.label === job.optimizer);
  if (optimizer === undefined) throw new Error(`internal: no optimizer ${job.optimizer} in the task`);
  const { phi, metaCurve } = await metaTrain(ctx, base, task, optimizer, store);
  const { curves, trajectory } = gpu !== undefined ? { curves: await deviceLearnedCurves(gpu, task, optimizer, phi, ctx.config.seeds, options), trajectory: undefined }
    : await seedCurves(ctx, base, (o) => learnedCurve(task, optimizer, phi, { ...options, ...o }));
  return { job, phi, metaCurve, curves, trajectory, device: ctx.device };
}

/** Adam jobs of one base task: on the device every rate and seed in one batch of runs (at most GRID_RUNS), else one by one. */
async function runAdamJobs(ctx: LearnedOptimizerContext, jobs: readonly AdamJob[]): Promise<LearnedOptimizerOutcome[]> {
  const entry = ctx.bases.get(jobs[0]!.base);
  if (entry === undefined || jobs.some((j) => j.base !== jobs[0]!.base)) throw new Error(`internal: Adam jobs of ${jobs.map((j) => j.base).join(', ')} batched as one base task's`);
  const { base } = entry;
  const task = baseTask(ctx, entry);
  const options = curveOptions(base);
  const gpu = task.device === undefined ? undefined : ctx.gpu;
  const outcome = (job: AdamJob, curves: Curve[], trajectory: number[][] | undefined): LearnedOptimizerOutcome => {
    ctx.progress.advance(1, `Adam lr ${job.lr} on ${base.label}: evaluated`);
    return { job, curves, trajectory, params: task.paramCount, device: ctx.device };
  };
  if (gpu === undefined) {
    const outcomes: LearnedOptimizerOutcome[] = [];
    for (const job of jobs) {
      const { curves, trajectory } = await seedCurves(ctx, base, (o) => adamCurve(task, job.lr, { ...options, ...o }));
      outcomes.push(outcome(job, curves, trajectory));
    }
    return outcomes;
  }
  const rates = Math.max(1, Math.floor(GRID_RUNS / ctx.config.seeds.length));
  const outcomes: LearnedOptimizerOutcome[] = [];
  for (let i = 0; i < jobs.length; i += rates) {
    const group = jobs.slice(i, i + rates);
    const curves = await deviceAdamCurves(gpu, task, group.map((j) => j.lr), ctx.config.seeds, options);
    group.forEach((job, k) => outcomes.push(outcome(job, curves[k]!, undefined)));
  }
  return outcomes;
}

function curveOptions(base: BaseTaskConfig): { horizon: number; every: number } {
  return { horizon: base.horizon, every: Math.max(1, Math.floor(base.horizon / CURVE_POINTS)) };
}

/** Loads every base task's data now (a worker does so while it holds its long preparation lock). */
export function loadBaseTasks(ctx: LearnedOptimizerContext): void {
  for (const entry of ctx.bases.values()) baseTask(ctx, entry);
}

function baseTask(ctx: LearnedOptimizerContext, entry: { base: BaseTaskConfig; task?: InnerTask }): InnerTask {
  entry.task ??= loadBaseTask(entry.base, baseTaskLayout(ctx.module, entry.base), (l) => ctx.progress.log(l));
  return entry.task;
}

/** A curve per seed; the regression's first seed also records its θ path. */
async function seedCurves(ctx: LearnedOptimizerContext, base: BaseTaskConfig, curve: (o: Pick<CurveOptions, 'seed' | 'trajectory'>) => Curve): Promise<{ curves: Curve[]; trajectory: number[][] | undefined }> {
  const trajectory = base.kind === 'linear_regression' ? [] : undefined;
  const curves: Curve[] = [];
  for (const [i, seed] of ctx.config.seeds.entries()) {
    curves.push(curve(i === 0 && trajectory !== undefined ? { seed, trajectory } : { seed }));
    await yieldToEventLoop();
  }
  return { curves, trajectory };
}

/** φ and its meta-training curve: from an earlier run when done before, else trained (resuming a checkpoint). */
async function metaTrain(ctx: LearnedOptimizerContext, base: BaseTaskConfig, task: InnerTask, optimizer: LearnedOptimizer, store: MetaTrainingStore): Promise<Trained> {
  const { config, progress } = ctx;
  const trained = await store.trained((text) => trainedOf(text, optimizer.metaSize));
  if (trained !== null) {
    progress.advance(config.pes.outerSteps, `${optimizer.label} on ${base.label}: meta-trained earlier`);
    return trained;
  }
  const checkpoint = await store.loadCheckpoint((text) => savedState(text, optimizer.metaSize));
  const saved = checkpoint?.trainer;
  const metaCurve = checkpoint?.metaCurve ?? [];
  const problem = innerProblem(ctx.gpu, task, optimizer);
  const phi0 = optimizer.initialMeta(config.rule, new Rng(config.pes.seed));
  const pes = { pairs: config.pes.pairs, truncation: truncationFor(config, base), horizon: base.horizon, sigma: config.pes.sigma, accumulate: true, stagger: true, seed: config.pes.seed };
  const outerSchedule = config.pes.outerSchedule === 'cosine' ? { kind: 'cosine' as const, steps: config.pes.outerSteps } : undefined;
  const trainer = new PesMetaTrainer(problem, { pes, outerLr: config.pes.outerLr, outerSchedule, clip: config.pes.clip }, phi0, saved);
  progress.log(`meta-training ${optimizer.label} on ${base.label} (${optimizer.metaSize} meta-parameters, ${config.pes.outerSteps} outer steps${saved ? `, resuming at ${trainer.outerStep}` : ''})`);
  progress.advance(trainer.outerStep, '');
  try {
    while (trainer.outerStep < config.pes.outerSteps) {
      const loss = await trainer.outerUpdate();
      metaCurve.push(metaCurvePoint(optimizer, trainer.phi, trainer.outerStep, loss));
      progress.advance(1, `${optimizer.label}: truncation loss ${loss.toPrecision(4)}`);
      if (trainer.outerStep % ctx.checkpointEvery === 0 && trainer.outerStep < config.pes.outerSteps) {
        await store.saveCheckpoint(JSON.stringify({ trainer: trainer.state(), metaCurve: encodeMetaCurve(metaCurve) }, replace), trainer.outerStep);
        if (store.stopRequested()) throw new JobHandedBack(trainer.outerStep, 'outer step');
      }
      // Between outer steps a worker's event loop renews the job's lock.
      await yieldToEventLoop();
    }
  } finally {
    await problem.release?.();
  }
  await store.done(trainedText(base.label, optimizer.label, trainer.phi, metaCurve));
  return { phi: Float64Array.from(trainer.phi), metaCurve };
}

/** The trained/ file of a meta-trained optimizer (read by gmn verify --params and gmn optimize), with its meta-training curve. */
export function trainedText(base: string, optimizer: string, phi: Float64Array, metaCurve: readonly MetaCurvePoint[]): string {
  return JSON.stringify({ optimizer, base, metaSize: phi.length, phi: [...phi], metaCurve: encodeMetaCurve(metaCurve) }, null, 1);
}

/**
 * One base task's results from its jobs' outcomes: Adam's grid (mean best test loss over seeds per
 * learning rate), the best rate's curves as the reference, every optimizer scored against them.
 */
export function baseTaskResult(config: LearnedOptimizationConfig, base: BaseTaskConfig, outcomes: readonly LearnedOptimizerOutcome[]): BaseTaskResult {
  const find = (match: (job: LearnedOptimizerJob) => boolean): LearnedOptimizerOutcome => {
    const found = outcomes.find((o) => o.job.base === base.label && match(o.job));
    if (found === undefined) throw new Error(`internal: a job of ${base.label} has no recorded outcome`);
    return found;
  };
  const adam = config.adamLrs.map((lr) => find((j) => j.kind === 'adam' && j.lr === lr));
  const grid = adam.map((o, i) => ({ lr: config.adamLrs[i]!, meanBest: o.curves.reduce((a, c) => a + bestPoint(c).loss, 0) / config.seeds.length }));
  const bestIndex = grid.reduce((a, b, i) => (b.meanBest < grid[a]!.meanBest ? i : a), 0);
  const best = adam[bestIndex]!;
  const learned = baseTaskOptimizers(config, base).map((o) => find((j) => j.kind === 'meta-train' && j.optimizer === optimizerLabel(o)));
  const curves = new Map<string, Curve[]>([['adam', best.curves]]);
  const scores = [scoreAgainstAdam('adam', best.curves, best.curves)];
  const metaCurves: Record<string, MetaCurvePoint[]> = {};
  for (const o of learned) {
    const label = (o.job as { optimizer: string }).optimizer;
    curves.set(label, o.curves);
    scores.push(scoreAgainstAdam(label, o.curves, best.curves));
    metaCurves[label] = 'metaCurve' in o ? o.metaCurve : [];
  }
  const trajectories = base.kind !== 'linear_regression' ? undefined
    : Object.fromEntries([['adam', best.trajectory ?? []], ...learned.map((o) => [(o.job as { optimizer: string }).optimizer, o.trajectory ?? []])]) as Record<string, number[][]>;
  const params = 'params' in best ? best.params : 0;
  return { base: base.label, horizon: base.horizon, adamGrid: grid, adamLr: grid[bestIndex]!.lr, scores, curves: Object.fromEntries(curves), metaCurves, params, trajectories };
}

/** A runner of these jobs in this process, one after another. */
export function localLearnedOptimizerRunner(ctx: LearnedOptimizerContext, storeOf: (job: LearnedOptimizerJob) => MetaTrainingStore): Runner<LearnedOptimizerJob, LearnedOptimizerOutcome> {
  return {
    device: ctx.device,
    prepare: async () => {},
    run: async (jobs, _finished, deliver) => {
      for (let i = 0; i < jobs.length;) {
        const job = jobs[i]!;
        if (job.kind !== 'adam') {
          deliver(await runLearnedOptimizerJob(ctx, job, storeOf(job)));
          i += 1;
          continue;
        }
        // The base task's Adam grid points that follow one another run as one batch.
        let end = i + 1;
        while (end < jobs.length && jobs[end]!.kind === 'adam' && jobs[end]!.base === job.base) end += 1;
        for (const outcome of await runAdamJobs(ctx, jobs.slice(i, end) as AdamJob[])) deliver(outcome);
        i = end;
      }
    },
    close: async () => {},
  };
}

/** The outcome as JSON (what a worker returns and what outcomes/ keeps): numbers exact, non-finite ones named. */
export function encodeOutcome(outcome: LearnedOptimizerOutcome): unknown {
  const numbers = (xs: readonly number[]): (number | string)[] => xs.map((x) => (Number.isFinite(x) ? x : String(x)));
  return {
    format: OUTCOME_FORMAT,
    curves: outcome.curves.map((c) => ({ steps: c.steps, losses: numbers(c.losses) })),
    trajectory: outcome.trajectory?.map(numbers) ?? null,
    phi: 'phi' in outcome ? numbers([...outcome.phi]) : null,
    metaCurve: 'metaCurve' in outcome ? encodeMetaCurve(outcome.metaCurve) : null,
    params: 'params' in outcome ? outcome.params : null,
    device: outcome.device,
  };
}

const OUTCOME_FORMAT = 'gmn-learned-optimizer-outcome';

/** The outcome of `job` from its JSON; throws saying what is wrong. */
export function decodeOutcome(job: LearnedOptimizerJob, value: unknown): LearnedOptimizerOutcome {
  const fail = (what: string): never => {
    throw new Error(`malformed outcome of ${learnedOptimizerJobName(job)}: ${what}`);
  };
  const record = (v: unknown, what: string): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : fail(`${what} is not an object`));
  const numbers = (v: unknown, what: string): number[] => (Array.isArray(v) ? v : fail(`${what} is not a list`)).map((x) => {
    if (typeof x === 'number') return x;
    if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
    return fail(`${what} holds ${JSON.stringify(x)}, not a number`);
  });
  const o = record(value, 'the outcome');
  if (o['format'] !== OUTCOME_FORMAT) fail(`its format is not ${OUTCOME_FORMAT}`);
  const curves = (Array.isArray(o['curves']) ? o['curves'] : fail('curves is not a list')).map((c, i) => {
    const r = record(c, `curve ${i}`);
    const curve = { steps: numbers(r['steps'], `curve ${i}'s steps`), losses: numbers(r['losses'], `curve ${i}'s losses`) };
    return curve.steps.length === curve.losses.length ? curve : fail(`curve ${i} has ${curve.steps.length} steps and ${curve.losses.length} losses`);
  });
  const trajectory = o['trajectory'] === null ? undefined : (Array.isArray(o['trajectory']) ? o['trajectory'] : fail('trajectory is not a list')).map((t, i) => numbers(t, `trajectory point ${i}`));
  const device = typeof o['device'] === 'string' ? o['device'] : fail('device is not a string');
  if (job.kind === 'adam') {
    const params = o['params'];
    return { job, curves, trajectory, device, params: typeof params === 'number' && Number.isInteger(params) ? params : fail('params is not an integer') };
  }
  const metaCurve = (() => {
    try {
      return parseMetaCurve(o['metaCurve'], 'metaCurve');
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
  })();
  return { job, curves, trajectory, device, phi: Float64Array.from(numbers(o['phi'], 'phi')), metaCurve };
}

/** φ from a trained/ file, checked: as many finite values as the optimizer has meta-parameters. */
export function phiOf(text: string, metaSize: number): Float64Array {
  const phi = (JSON.parse(text) as { phi?: unknown }).phi;
  if (!Array.isArray(phi) || phi.length !== metaSize || !phi.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`its phi is not ${metaSize} finite numbers`);
  }
  return Float64Array.from(phi as number[]);
}

/** φ and its meta-training curve from a trained/ file, checked (a file written before curves were kept has none). */
export function trainedOf(text: string, metaSize: number): Trained {
  return { phi: phiOf(text, metaSize), metaCurve: parseMetaCurve((JSON.parse(text) as { metaCurve?: unknown }).metaCurve, 'its metaCurve') };
}

/** A meta-training checkpoint, checked: φ and both Adam moments of the optimizer's size, a step count, the curve so far. */
function savedState(text: string, metaSize: number): MetaCheckpoint {
  const parsed = JSON.parse(text, revive) as { trainer?: Partial<MetaState>; metaCurve?: unknown };
  const saved = parsed.trainer ?? {};
  const sized = (a: unknown): boolean => a instanceof Float64Array && a.length === metaSize;
  if (!sized(saved.phi) || !Array.isArray(saved.adamMoments) || !saved.adamMoments.every(sized) || !Number.isInteger(saved.outerStep) || saved.estimator === undefined) {
    throw new Error(`it does not hold φ, the Adam moments (${metaSize} values each), the outer step and the estimator's state`);
  }
  const metaCurve = parseMetaCurve(parsed.metaCurve, 'its metaCurve');
  if (metaCurve.length !== saved.outerStep) throw new Error(`its meta-training curve has ${metaCurve.length} points for ${saved.outerStep} outer steps`);
  return { trainer: saved as MetaState, metaCurve };
}

/** Float64Arrays as `{ f64: [...] }` in JSON (numbers round-trip exactly), and back. */
function replace(_: string, v: unknown): unknown {
  return v instanceof Float64Array ? { f64: [...v] } : v;
}

function revive(_: string, v: unknown): unknown {
  return typeof v === 'object' && v !== null && 'f64' in v ? Float64Array.from((v as { f64: number[] }).f64) : v;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
