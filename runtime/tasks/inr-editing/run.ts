// The INR-editing protocol (paper §6.3, Table 2): for every edit (one benchmark: its own INRs
// fitted to its image collection), every model, learning rate and seed, train an editor
// (train.ts); per edit and model, the learning rate with the best mean validation MSE is reported
// with its test MSE over seeds, next to the paper's figures. Also reported: "no edit" (Δθ = 0, the
// fitted INR against the edited image), the fits' PSNR, and an image grid of test INRs.
// The fitting batches and the training runs are independent jobs (jobs.ts), run here one after
// another or by the workers of a job queue (`runner`); each run is recorded once in the run directory.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { TaskDecl } from '../../../compiler/syntax/ast.js';
import type { GpuDevice } from '../../device/index.js';
import type { InrFitKey } from '../../inr/cache.js';
import { pixelGrid, type FittedInrs } from '../../inr/fit.js';
import { IMAGE_PIXELS, IMAGE_SIDE, type ImageSource } from '../../inr/images.js';
import { mlpForward } from '../../targets/mlp.js';
import { saveCheckpoint } from '../../train/checkpoint.js';
import type { ExecutorFactory } from '../../train/executor.js';
import type { Runner } from '../job-runner.js';
import type { Progress } from '../progress.js';
import { RunDirectory } from '../run-directory.js';
import type { InrEditingConfig } from './config.js';
import { fitKey, loadEditDataset, splitsOf, type EditDataset } from './data.js';
import { runDirectoryEditorStore } from './editor-store.js';
import {
  assembleFits, fitCollections, inrFitJobs, inrJobName, inrTrainJobs, runInrEditingJob, trainKey,
  type InrEditingContext, type InrEditingJob, type InrEditingOutcome, type InrFitJob,
} from './jobs.js';
import { inrEditingModels } from './models.js';
import { writeInrEditingReport, type EditSummary } from './report.js';
import type { EditRunResult } from './train.js';

export interface InrEditingRun {
  program: ResolvedProgram;
  module: ResolvedModule;
  task: TaskDecl;
  config: InrEditingConfig;
  target: TargetLayout;
  outDir: string;
  gpu: GpuDevice;
  executor: ExecutorFactory;
  device: string;
  progress: Progress;
  /** Runs the jobs; by default one after another in this process. */
  runner?: (ctx: InrEditingContext) => InrEditingRunner;
}

/** Runs the task's jobs (jobs.ts), here or on a queue's workers. */
export interface InrEditingRunner extends Runner<InrEditingJob, InrEditingOutcome> {
  /** Makes a collection's fits available to the training jobs (on a queue's workers; nothing to do here). */
  shareFits(key: InrFitKey, fits: FittedInrs): Promise<void>;
}

export async function runInrEditingTask(run: InrEditingRun): Promise<void> {
  const started = performance.now();
  const { config, progress } = run;
  const models = inrEditingModels(run);
  const dir = RunDirectory.open(run.outDir, config, (line) => progress.log(line));
  const ctx: InrEditingContext = { config, target: run.target, models, gpu: run.gpu, executor: run.executor, device: run.device, progress, datasets: new Map() };
  const runner = run.runner?.(ctx) ?? localRunner(ctx, dir);
  try {
    await runner.prepare();
    for (const edit of config.edits) {
      progress.stage(`data: ${config.data.count} ${run.target.name} INRs fitted to ${edit.images} (${config.data.fitSteps} Adam steps, ${config.data.fitBatch} per dispatch), edit ${edit.edit}`);
      // A collection not in the cache yet is fitted by its jobs, then cached.
      const data = await loadEditDataset(run.gpu, run.target, config, edit, (done, all) => progress.data(done, all), { fit: () => fitByJobs(ctx, runner, edit.images) });
      progress.log(`data: ${data.cache}`);
      ctx.datasets.set(edit.label, data);
    }
    const dataSeconds = (performance.now() - started) / 1000;
    for (const images of fitCollections(config)) {
      const data = [...ctx.datasets.values()].find((d) => d.edit.images === images)!;
      await runner.shareFits(fitKey(run.target, config, images), { theta: data.theta, psnr: data.psnr });
    }
    const jobs = inrTrainJobs(config, models);
    progress.startTraining(jobs.length * config.steps);
    const finished = jobs.filter((job) => {
      const key = trainKey(config, job);
      const done = dir.result(key.model, key.trainSize, key.seed) !== undefined;
      if (done) progress.advance(config.steps, `${inrJobName(job)}: done earlier`);
      return done;
    });
    await runner.run(jobs.filter((job) => !finished.includes(job)), finished, (outcome) => recordTraining(dir, config, outcome));
    progress.stop();
    const summaries: EditSummary[] = config.edits.map((edit) => {
      const data = ctx.datasets.get(edit.label)!;
      const results = jobs.filter((job) => job.edit === edit.label).map((job) => {
        const key = trainKey(config, job);
        return dir.result(key.model, key.trainSize, key.seed) as EditRunResult;
      });
      return { data, results, noEdit: noEditError(data, config) };
    });
    writeInrEditingReport(run.outDir, {
      config, target: run.target, device: runner.device, models: models.map((m) => ({ label: m.label, net: m.config.net, params: m.params })),
      seconds: (performance.now() - started) / 1000, dataSeconds,
    }, summaries);
  } finally {
    await runner.close();
    dir.close();
  }
}

/** One collection's fits, from its fitting jobs' outcomes. */
async function fitByJobs(ctx: InrEditingContext, runner: InrEditingRunner, images: ImageSource): Promise<FittedInrs> {
  const outcomes: { job: InrFitJob; fits: FittedInrs }[] = [];
  ctx.progress.startTraining(ctx.config.data.count);
  await runner.run(inrFitJobs(ctx.config, images), [], (outcome) => {
    if ('fits' in outcome) outcomes.push(outcome);
  });
  ctx.progress.stop();
  return assembleFits(ctx.config, ctx.target, outcomes);
}

/** Runs every job in this process, one after another, a training run's state in the run directory. */
function localRunner(ctx: InrEditingContext, dir: RunDirectory): InrEditingRunner {
  return {
    device: ctx.device,
    prepare: async () => {},
    run: async (jobs, _finished, deliver) => {
      for (const job of jobs) {
        const key = job.kind === 'inr-train' ? trainKey(ctx.config, job) : null;
        deliver(await runInrEditingJob(ctx, job, key === null ? null : runDirectoryEditorStore(dir, key.model, key.trainSize, key.seed)));
      }
    },
    shareFits: async () => {},
    close: async () => {},
  };
}

/**
 * Writes a finished training run into the run directory, once: its epochs and trained editor when
 * they come from elsewhere (a local run has written its own), the editor's description, its result.
 */
function recordTraining(dir: RunDirectory, config: InrEditingConfig, outcome: InrEditingOutcome): void {
  if (!('result' in outcome)) return;
  const key = trainKey(config, outcome.job);
  if (dir.result(key.model, key.trainSize, key.seed) !== undefined) return;
  const r = outcome.result;
  for (const metrics of outcome.epochs) dir.recordEpoch(metrics);
  const trainedPath = dir.trainedPath(key.model, key.trainSize, key.seed);
  if (outcome.trained !== null) {
    rmSync(trainedPath, { recursive: true, force: true });
    mkdirSync(dirname(trainedPath), { recursive: true });
    saveCheckpoint(trainedPath, outcome.trained);
  }
  writeFileSync(join(trainedPath, 'editor.json'), `${JSON.stringify({ edit: r.edit, model: r.editor, net: r.net, lr: r.lr, seed: r.seed, bestStep: r.bestEpoch }, null, 2)}\n`);
  dir.recordResult(r);
}

/** Test MSE of leaving θ as fitted (Δθ = 0) against the edited images, in float64. */
function noEditError(data: EditDataset, config: InrEditingConfig): number {
  const test = splitsOf(config).test;
  const P = data.layout.paramCount;
  const grid = Float64Array.from(pixelGrid(IMAGE_SIDE));
  let sum = 0;
  for (let e = test.start; e < test.start + test.count; e++) {
    const { outputs } = mlpForward(data.layout, { count: IMAGE_PIXELS, inputs: grid, theta: Float64Array.from(data.theta.subarray(e * P, (e + 1) * P)) });
    for (let p = 0; p < IMAGE_PIXELS; p++) sum += (outputs[p]! - data.targets[e * IMAGE_PIXELS + p]!) ** 2;
  }
  return sum / (test.count * IMAGE_PIXELS);
}
