// The learned-optimization protocol (paper §6.2), in float64: for every base task and every
// learned optimizer, meta-train φ with PES (checkpointed, resumable bit-identically), keep the
// result under trained/; then tune Adam's learning rate on the grid, run Adam and every
// meta-trained optimizer from the same initialisations and batches per seed, and score them as the
// paper does (evaluation.ts). Writes report.md, results.json and one test-loss plot per base task.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import { Rng } from '../../util/rng.js';
import type { Progress } from '../progress.js';
import { RunDirectory, fileLabel, writeAtomic } from '../run-directory.js';
import { loadStateFile, removeStateFile, saveStateFile } from '../state-file.js';
import { baseTaskLayout, loadBaseTask } from './base-task.js';
import { truncationFor, type BaseTaskConfig, type LearnedOptimizationConfig } from './config.js';
import { adamCurve, learnedCurve, scoreAgainstAdam, tuneAdam, type Curve, type OptimizerScore } from './evaluation.js';
import { LearnedOptimizerProblem, type InnerTask } from './inner-task.js';
import { optimizerFor, type LearnedOptimizer } from './learned-optimizer.js';
import { PesMetaTrainer, type MetaTrainerState } from './meta-trainer.js';
import { writeLearnedOptimizationReport, type BaseTaskResult } from './report.js';
import type { RuleState } from './update-rule.js';

/** Points per evaluation curve (the test loss is recorded every horizon / CURVE_POINTS steps). */
const CURVE_POINTS = 50;

export interface LearnedOptimizationRun {
  program: ResolvedProgram;
  module: ResolvedModule;
  config: LearnedOptimizationConfig;
  outDir: string;
  progress: Progress;
  /** Outer steps between checkpoints. */
  checkpointEvery?: number;
  /** Asked after every checkpoint: true stops the run there (as a kill would), to resume later. */
  shouldStop?: () => boolean;
}

export type RunOutcome = 'finished' | 'stopped';

export async function runLearnedOptimizationTask(run: LearnedOptimizationRun): Promise<RunOutcome> {
  const { config, progress } = run;
  const started = Date.now();
  const dir = RunDirectory.open(run.outDir, JSON.parse(JSON.stringify(config, (k, v: unknown) => (k === 'span' ? undefined : v))) as unknown, (l) => progress.log(l));
  try {
    mkdirSync(join(run.outDir, 'trained'), { recursive: true });
    const results: BaseTaskResult[] = [];
    for (const base of config.baseTasks) {
      const layout = baseTaskLayout(run.module, base);
      const task = loadBaseTask(base, layout, (l) => progress.stage(l));
      const optimizers = config.optimizers.map((o) => optimizerFor(run.program, run.module, o, base.batch, layout));
      const phis: Float64Array[] = [];
      for (const optimizer of optimizers) {
        const phi = await metaTrain(run, base, task, optimizer);
        if (phi === undefined) return 'stopped';
        phis.push(phi);
      }
      progress.stage(`evaluating on ${base.label}: Adam over ${config.adamLrs.length} learning rates, ${optimizers.length} learned optimizers, ${config.seeds.length} seeds`);
      const curveOptions = { horizon: base.horizon, every: Math.max(1, Math.floor(base.horizon / CURVE_POINTS)) };
      const grid = tuneAdam(task, config.adamLrs, config.seeds, curveOptions);
      const bestLr = grid.reduce((a, b) => (b.meanBest < a.meanBest ? b : a)).lr;
      const adamCurves = config.seeds.map((seed) => adamCurve(task, bestLr, { ...curveOptions, seed }));
      const curves = new Map<string, Curve[]>([['adam', adamCurves]]);
      const scores: OptimizerScore[] = [scoreAgainstAdam('adam', adamCurves, adamCurves)];
      optimizers.forEach((optimizer, i) => {
        const c = config.seeds.map((seed) => learnedCurve(task, optimizer, phis[i]!, { ...curveOptions, seed }));
        curves.set(optimizer.label, c);
        scores.push(scoreAgainstAdam(optimizer.label, c, adamCurves));
      });
      // Figure 8: the first seed's path through the regression's 2-D parameter space.
      const trajectories = base.kind !== 'linear_regression' ? undefined : Object.fromEntries([
        ['adam', trajectory((t) => adamCurve(task, bestLr, { ...curveOptions, seed: config.seeds[0]!, trajectory: t }))],
        ...optimizers.map((o, i) => [o.label, trajectory((t) => learnedCurve(task, o, phis[i]!, { ...curveOptions, seed: config.seeds[0]!, trajectory: t }))]),
      ]) as Record<string, number[][]>;
      results.push({ base: base.label, horizon: base.horizon, adamGrid: grid, adamLr: bestLr, scores, curves: Object.fromEntries(curves), params: task.paramCount, trajectories });
    }
    await writeLearnedOptimizationReport(run.outDir, { task: config.name, preset: config.preset, pes: config.pes, rule: config.rule, seconds: (Date.now() - started) / 1000 }, results);
    return 'finished';
  } finally {
    dir.close();
  }
}

function trajectory(run: (sink: number[][]) => void): number[][] {
  const sink: number[][] = [];
  run(sink);
  return sink;
}

type Saved = MetaTrainerState<RuleState>;

/** φ after meta-training: from trained/ when done before, else trained (resuming a checkpoint); undefined when stopped. */
async function metaTrain(run: LearnedOptimizationRun, base: BaseTaskConfig, task: InnerTask, optimizer: LearnedOptimizer): Promise<Float64Array | undefined> {
  const { config, progress } = run;
  const name = `${fileLabel(base.label)}-${fileLabel(optimizer.label)}`;
  const trainedPath = join(run.outDir, 'trained', `${name}.json`);
  const trained = loadStateFile(trainedPath, 'meta-trained optimizer', (text) => phiOf(text, optimizer.metaSize), (l) => progress.log(l));
  if (trained !== null) return trained;
  const checkpointPath = join(run.outDir, 'checkpoints', `${name}.json`);
  const saved = loadStateFile(checkpointPath, 'meta-training checkpoint', (text) => savedState(text, optimizer.metaSize), (l) => progress.log(l)) ?? undefined;
  const problem = new LearnedOptimizerProblem(task, optimizer);
  const phi0 = optimizer.initialMeta(config.rule, new Rng(config.pes.seed));
  const pes = { pairs: config.pes.pairs, truncation: truncationFor(config, base), horizon: base.horizon, sigma: config.pes.sigma, accumulate: true, stagger: true, seed: config.pes.seed };
  const trainer = new PesMetaTrainer(problem, { pes, outerLr: config.pes.outerLr, clip: config.pes.clip }, phi0, saved);
  progress.stage(`meta-training ${optimizer.label} on ${base.label} (${optimizer.metaSize} meta-parameters, ${config.pes.outerSteps} outer steps${saved ? `, resuming at ${trainer.outerStep}` : ''})`);
  progress.startTraining(config.pes.outerSteps);
  progress.advance(trainer.outerStep, '');
  const every = run.checkpointEvery ?? 10;
  while (trainer.outerStep < config.pes.outerSteps) {
    const loss = await trainer.outerUpdate();
    progress.advance(1, `${optimizer.label}: truncation loss ${loss.toPrecision(4)}`);
    if (trainer.outerStep % every === 0 && trainer.outerStep < config.pes.outerSteps) {
      saveStateFile(checkpointPath, JSON.stringify(trainer.state(), replace));
      if (run.shouldStop?.() === true) {
        progress.stop();
        return undefined;
      }
    }
  }
  progress.stop();
  writeAtomic(trainedPath, JSON.stringify({ optimizer: optimizer.label, base: base.label, metaSize: optimizer.metaSize, phi: [...trainer.phi] }, null, 1));
  removeStateFile(checkpointPath);
  return Float64Array.from(trainer.phi);
}

/** φ from a trained/ file, checked: as many finite values as the optimizer has meta-parameters. */
function phiOf(text: string, metaSize: number): Float64Array {
  const phi = (JSON.parse(text) as { phi?: unknown }).phi;
  if (!Array.isArray(phi) || phi.length !== metaSize || !phi.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`its phi is not ${metaSize} finite numbers`);
  }
  return Float64Array.from(phi as number[]);
}

/** A meta-training checkpoint, checked: φ and both Adam moments of the optimizer's size, a step count. */
function savedState(text: string, metaSize: number): Saved {
  const saved = JSON.parse(text, revive) as Partial<Saved>;
  const sized = (a: unknown): boolean => a instanceof Float64Array && a.length === metaSize;
  if (!sized(saved.phi) || !Array.isArray(saved.adamMoments) || !saved.adamMoments.every(sized) || !Number.isInteger(saved.outerStep) || saved.estimator === undefined) {
    throw new Error(`it does not hold φ, the Adam moments (${metaSize} values each), the outer step and the estimator's state`);
  }
  return saved as Saved;
}

/** Float64Arrays as `{ f64: [...] }` in JSON (numbers round-trip exactly), and back. */
function replace(_: string, v: unknown): unknown {
  return v instanceof Float64Array ? { f64: [...v] } : v;
}

function revive(_: string, v: unknown): unknown {
  return typeof v === 'object' && v !== null && 'f64' in v ? Float64Array.from((v as { f64: number[] }).f64) : v;
}
