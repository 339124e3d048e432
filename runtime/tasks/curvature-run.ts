// A curvature task run on this machine (`gmn run`, runTask): the protocol's jobs (curvature.ts)
// over a resumable run directory — checkpoints, metrics.jsonl, trained/ — with the dataset from the
// on-disk cache (or the user's files), refused first if it cannot fit in memory here, and the
// report written at the end.
import { DiagnosticError, error } from '../../compiler/diagnostics/diagnostic.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { gradientFilesFingerprint } from '../data/gradient-files.js';
import { datasetTooLarge, modelsThatFit } from '../data/memory.js';
import { checkSplitSizes } from '../data/splits.js';
import { loadTaskData } from '../data/task-data.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import {
  curvatureContext, curvatureJobs, curvatureModels, errorMetric, jobName, jobResultKeys, jobUnits, recalibratedLabel, referenceModel, runCurvatureJob,
  type CurvatureContext, type CurvatureJob, type CurvatureModel, type CurvatureSetup, type JobOutcome, type JobRunner,
} from './curvature.js';
import type { JobStore } from './job-store.js';
import { writeReport, type RunResult } from './report.js';
import { RunDirectory } from './run-directory.js';
import { runDirectoryStore } from './run-directory-store.js';

/** The paper's reported improvement over the standard estimator (§6.1, Figure 7), by net name. */
const PAPER_IMPROVEMENT = new Map([['gradmetanet', 13.7], ['gradmetanet_pp', 26.3]]);
/** The paper's normalised test MAE of the scaled-up trace study (appendix G.1, Table 7), by net name. */
const PAPER_TRACE_MAE = new Map([['gradmetanet_vec', 0.413], ['mlp_vec', 0.779]]);
export interface CurvatureRun extends CurvatureSetup {
  outDir: string;
  /** Runs the sweep's jobs; by default one after another in this process (localRunner). */
  runner?: (setup: CurvatureSetup, models: readonly CurvatureModel[]) => JobRunner;
}

export async function runCurvatureTask(run: CurvatureRun): Promise<{ results: RunResult[]; reportDir: string }> {
  const started = performance.now();
  const models = checkedCurvatureModels(run);
  // A run on files is a run on their contents: other contents are another configuration.
  const recorded = run.config.data.generator === 'gradient_files' && run.config.data.dir !== undefined
    ? { ...run.config, dataFingerprint: gradientFilesFingerprint(run.config.data.dir) } : run.config;
  const dir = RunDirectory.open(run.outDir, recorded, (line) => run.progress.log(line));
  const runner = (run.runner ?? localRunner(dir))(run, models);
  try {
    return await sweep(run, dir, models, runner, started);
  } finally {
    await runner.close();
    dir.close();
  }
}

/** Checks that the task's data fits in memory here and lowers every model (no data is touched). */
export function checkedCurvatureModels(setup: CurvatureSetup): CurvatureModel[] {
  const { config } = setup;
  if (config.data.generator === 'random_targets') {
    checkSplitSizes(config.data.models, config.splits, config.trainSizes);
    checkDatasetFits(setup);
  }
  return curvatureModels(setup);
}

/** Loads (or generates and caches) the task's dataset and splits it. */
export function loadCurvatureContext(setup: CurvatureSetup, models: readonly CurvatureModel[]): CurvatureContext {
  const { config, progress } = setup;
  progress.stage(config.data.generator === 'gradient_files' ? `data: gradient files in ${config.data.dir}` : `data: ${config.data.models} random ${setup.target.name} models`);
  const loaded = loadTaskData(setup.target, config.data, config.label, {
    progress: (done, total) => progress.data(done, total),
    ...(setup.dataCache === undefined ? {} : { root: setup.dataCache }),
  });
  progress.log(loaded.note);
  return curvatureContext(setup, models, loaded.data);
}

/** Runs every job in this process, one after another, keeping their state in the run directory. */
export function localRunner(dir: RunDirectory): (setup: CurvatureSetup, models: readonly CurvatureModel[]) => JobRunner {
  return (setup, models) => {
    let ctx: CurvatureContext | null = null;
    return {
      device: setup.device,
      prepare: async () => {
        ctx = loadCurvatureContext(setup, models);
      },
      run: async (jobs, _finished, deliver) => {
        for (const job of jobs) {
          const store = job.kind === 'train' ? runDirectoryStore(dir, job.model, job.trainSize, job.seed) : null;
          const results = await runCurvatureJob(ctx!, job, store ?? NO_STORE);
          if (job.kind === 'evaluate') setup.progress.advance(1, `${job.model}: evaluated`);
          deliver({ job, results, epochs: [], trained: null });
        }
      },
      close: async () => {},
    };
  };
}

/** An evaluation keeps no state. */
const NO_STORE: JobStore = {
  loadCheckpoint: async () => null,
  epochDone: async () => {},
  trained: async () => {},
  stopRequested: () => false,
};

/** Every job of the task that `dir` has no results for yet; then the report. */
async function sweep(run: CurvatureRun, dir: RunDirectory, models: CurvatureModel[], runner: JobRunner, started: number): Promise<{ results: RunResult[]; reportDir: string }> {
  const { config } = run;
  await runner.prepare();
  const jobs = curvatureJobs(config, models, run.target);
  run.progress.startTraining(jobs.reduce((n, job) => n + jobUnits(config, job), 0));
  const pending: CurvatureJob[] = [];
  const finished: CurvatureJob[] = [];
  for (const job of jobs) {
    if (jobResultKeys(config, models, job).every((k) => dir.result(k.model, k.trainSize, k.seed) !== undefined)) {
      run.progress.advance(jobUnits(config, job), `${jobName(job)}: done earlier`);
      finished.push(job);
    } else {
      pending.push(job);
    }
  }
  await runner.run(pending, finished, (outcome) => recordOutcome(dir, outcome));
  run.progress.stop();
  const reference = referenceModel(config, run.target, models);
  const labels = new Set([...models.map((m) => m.label), ...(reference === undefined ? [] : [reference, recalibratedLabel(reference)])]);
  const results = dir.results().filter((r) => labels.has(r.model));
  await writeReport(run.outDir, {
    task: config.name,
    preset: config.preset,
    target: run.target.name,
    metric: errorMetric(config),
    device: runner.device,
    referenceModel: reference ?? null,
    recalibratedModel: reference === undefined ? null : recalibratedLabel(reference),
    // The paper's figures are of its own generated data (MLP targets), not of a user's files or a CNN.
    paperImprovement: config.label === 'fisher_trace' || config.data.generator === 'gradient_files' || run.target.spec.kind !== 'mlp' ? new Map() : PAPER_IMPROVEMENT,
    paperErrors: config.label === 'fisher_trace' && config.loss === 'mae' && config.data.generator === 'random_targets' ? PAPER_TRACE_MAE : new Map(),
    seconds: (performance.now() - started) / 1000,
  }, results);
  return { results, reportDir: run.outDir };
}

/**
 * Writes a finished job into the run directory, each result exactly once: an outcome delivered a
 * second time (a restarted submitter collecting a job it had already recorded) changes nothing.
 */
function recordOutcome(dir: RunDirectory, outcome: JobOutcome): void {
  const fresh = outcome.results.filter((r) => dir.result(r.model, r.trainSize, r.seed) === undefined);
  if (fresh.length === 0) return;
  const { job } = outcome;
  for (const metrics of outcome.epochs) dir.recordEpoch(metrics);
  if (outcome.trained !== null && job.kind === 'train') saveCheckpoint(dir.trainedPath(job.model, job.trainSize, job.seed), outcome.trained);
  for (const result of fresh) dir.recordResult(result);
}

/** Refuses, at the task's `data:` field (its preset's, if the preset sets it), a dataset that cannot fit in memory here. */
function checkDatasetFits(run: CurvatureSetup): void {
  const { config, task } = run;
  const problem = datasetTooLarge(run.target, config.data, config.label);
  if (problem === null) return;
  const fits = modelsThatFit(run.target, config.data, config.label);
  const dataField = (fields: TaskDecl['fields']) => fields.find((f) => f.key.name === 'data');
  const field = dataField(task.presets.find((p) => p.name.name === config.preset)?.fields ?? []) ?? dataField(task.fields);
  throw new DiagnosticError([error('run/too-large', `task \`${config.name}\`: ${problem}`, field?.span ?? task.name.span,
    fits > 0 ? `use at most ${fits} models (data: { models: ${fits} }), fewer points, or a smaller target than ${run.target.name}`
      : `not even one ${run.target.name} model fits: use a smaller target or fewer points`)]);
}
