// What a worker makes of a payload's task: the task rebuilt from its text alone, its jobs, and how
// to run one of them with its state in Redis. One branch per task kind (the curvature sweep,
// learned optimization, INR editing); the worker itself (worker.ts) is the same for all.
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { DiagnosticError, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../compiler/diagnostics/render.js';
import type { ResolvedModule, ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { NoAdapterError, type BackendChoice } from '../tasks/backend.js';
import { curvatureJobs, jobName, runCurvatureJob, type CurvatureSetup } from '../tasks/curvature.js';
import { checkedCurvatureModels, loadCurvatureContext } from '../tasks/curvature-run.js';
import { inrEditingConfig } from '../tasks/inr-editing/config.js';
import { fitKey, loadEditDataset } from '../tasks/inr-editing/data.js';
import { encodeInrOutcome, inrFitJobs, fitCollections, inrJobName, inrTrainJobs, runInrEditingJob, type InrEditingContext } from '../tasks/inr-editing/jobs.js';
import { inrEditingModels } from '../tasks/inr-editing/models.js';
import { learnedOptimizationConfig } from '../tasks/learned-optimizer/config.js';
import { deviceBackend, FLOAT64_CPU, runsOnDevice } from '../tasks/learned-optimizer/device-backend.js';
import { encodeOutcome as encodeLearnedOptimizerOutcome, learnedOptimizerContext, learnedOptimizerJobName, learnedOptimizerJobs, loadBaseTasks, runLearnedOptimizerJob } from '../tasks/learned-optimizer/jobs.js';
import type { Progress } from '../tasks/progress.js';
import { taskConfig } from '../tasks/task-config.js';
import { taskTarget } from '../tasks/task-target.js';
import { fetchFits, fitsKeys } from './inr-fits.js';
import { encodeOutcome } from './outcome.js';
import type { QueuedJob, TaskPayload } from './payload.js';
import { redisMetaStore } from './redis-meta-store.js';
import { redisJobStore } from './redis-store.js';
import { checkTaskSource } from './task-source.js';

/** Where a running job keeps its state: its Redis key, guarded by the lock this worker holds. */
export interface JobHandle {
  client: Redis;
  keys: { prefix: string; queue: string; jobId: string };
  token: string;
  stopping: () => boolean;
  log: (line: string) => void;
  /** Runs `work`, which may block this process for long, under a long lock (as a task's preparation). */
  hold<T>(work: () => Promise<T>): Promise<T>;
}

export interface PreparedTask {
  jobs: QueuedJob[];
  /** Runs one of `jobs`; resolves to the job's return value (its encoded outcome). */
  run(job: QueuedJob, handle: JobHandle): Promise<unknown>;
  sources: Map<string, string>;
}

export interface PrepareOptions {
  backend: BackendChoice;
  /** What runs the jobs here, recorded with every result. */
  device: string;
  host: string;
  cacheDir: string;
  log: (line: string) => void;
}

/** A job as logs name it, whichever task it belongs to. */
export function queuedJobName(job: QueuedJob): string {
  if (job.kind === 'train' || job.kind === 'evaluate') return jobName(job);
  return job.kind === 'inr-fit' || job.kind === 'inr-train' ? inrJobName(job) : learnedOptimizerJobName(job);
}

/** Rebuilds a task from its payload and loads its data: a TaskSourceError when the task is wrong. */
export function prepareTask(task: TaskPayload, opts: PrepareOptions): PreparedTask {
  const checked = checkTaskSource(task);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new TaskSourceError(errors, checked.sources);
  const root = checked.program.roots[0]!;
  const decl = root.symbols.tasks.get(task.task);
  const fail = (message: string): never => {
    throw new TaskSourceError([{ severity: 'error', code: 'queue/unknown-task', message, span: root.program.span, hint: 'submit the job with gmn run FILE --queue URL' }], checked.sources);
  };
  if (decl === undefined) return fail(`the file declares no task \`${task.task}\``);
  const kind = taskKind(decl.fields)?.name;
  try {
    const prepare = kind === 'learned_optimization' ? learnedOptimizer : kind === 'inr_editing' ? inrEditing : curvature;
    const prepared = prepare(checked.program, root, decl, task.preset, opts);
    return { ...prepared, sources: checked.sources };
  } catch (e) {
    if (e instanceof DiagnosticError) throw new TaskSourceError(e.diagnostics, checked.sources);
    throw e;
  }
}

function curvature(program: ResolvedProgram, root: ResolvedModule, decl: TaskDecl, preset: string, opts: PrepareOptions): Omit<PreparedTask, 'sources'> {
  const config = taskConfig(decl, preset);
  const setup: CurvatureSetup = {
    program, module: root, task: decl, config, target: taskTarget(root, decl, config.target),
    executor: opts.backend.factory, device: opts.device, progress: workerProgress(opts.log), dataCache: join(resolve(opts.cacheDir), 'curvature'),
  };
  const models = checkedCurvatureModels(setup);
  const ctx = loadCurvatureContext(setup, models);
  return {
    jobs: curvatureJobs(config, models, setup.target),
    run: async (job, h) => {
      if (job.kind !== 'train' && job.kind !== 'evaluate') throw new Error(`internal: a ${job.kind} job in a curvature task`);
      const store = redisJobStore(h.client, h.keys, h.token, h.stopping, h.log);
      const results = await runCurvatureJob(ctx, job, store);
      return encodeOutcome(results, store.epochs, store.final);
    },
  };
}

/**
 * Learned optimization meta-trains image and language-model tasks on the worker's adapter, as a
 * local run with the same backend does (device-backend.ts), and everything else in float64 on the CPU.
 */
function learnedOptimizer(program: ResolvedProgram, root: ResolvedModule, decl: TaskDecl, preset: string, opts: PrepareOptions): Omit<PreparedTask, 'sources'> {
  const config = learnedOptimizationConfig(decl, preset);
  const { gpu, device } = config.baseTasks.some((b) => runsOnDevice(b.kind)) && opts.backend.gpu !== undefined ? deviceBackend(opts.backend.gpu) : { gpu: undefined, device: FLOAT64_CPU };
  const ctx = learnedOptimizerContext({ program, module: root, config, progress: workerProgress(opts.log), device: `${device} on ${opts.host}`, gpu });
  loadBaseTasks(ctx);
  return {
    jobs: learnedOptimizerJobs(config),
    run: async (job, h) => {
      if (job.kind !== 'meta-train' && job.kind !== 'adam') throw new Error(`internal: a ${job.kind} job in a learned-optimization task`);
      return encodeLearnedOptimizerOutcome(await runLearnedOptimizerJob(ctx, job, redisMetaStore(h.client, h.keys, h.token, h.stopping, h.log)));
    },
  };
}

/**
 * INR editing fits and trains on this worker's WebGPU adapter. A training job needs every edit's
 * dataset, built once from the fits the submitter published in Redis (inr-fits.ts) and kept in the
 * worker's own cache.
 */
function inrEditing(program: ResolvedProgram, root: ResolvedModule, decl: TaskDecl, preset: string, opts: PrepareOptions): Omit<PreparedTask, 'sources'> {
  const { gpu } = opts.backend;
  if (gpu === undefined) throw new NoAdapterError(`INR editing fits and trains on WebGPU, and this worker has no adapter (${opts.backend.device})`, 'start the worker on a machine with a GPU or lavapipe, without --backend reference');
  const config = inrEditingConfig(decl, preset);
  const target = taskTarget(root, decl, config.target);
  const models = inrEditingModels({ program, module: root, task: decl, config, target });
  const ctx: InrEditingContext = { config, target, models, gpu, executor: opts.backend.factory, device: opts.device, progress: workerProgress(opts.log), datasets: new Map() };
  let datasets: Promise<void> | null = null;
  const loadDatasets = async (h: JobHandle): Promise<void> => {
    for (const edit of config.edits) {
      const key = fitKey(target, config, edit.images);
      const data = await loadEditDataset(gpu, target, config, edit, () => {}, {
        root: join(resolve(opts.cacheDir), 'inr'), fit: () => fetchFits(h.client, fitsKeys(h.keys.prefix, h.keys.queue, key), key, target),
      });
      opts.log(`data: ${edit.label}: ${data.cache}`);
      ctx.datasets.set(edit.label, data);
    }
  };
  return {
    jobs: [...fitCollections(config).flatMap((images) => inrFitJobs(config, images)), ...inrTrainJobs(config, models)],
    run: async (job, h) => {
      if (job.kind === 'inr-fit') return encodeInrOutcome(await runInrEditingJob(ctx, job, null));
      if (job.kind !== 'inr-train') throw new Error(`internal: a ${job.kind} job in an INR-editing task`);
      datasets ??= h.hold(() => loadDatasets(h));
      await datasets.catch((e: unknown) => {
        datasets = null;
        throw e;
      });
      const store = redisJobStore(h.client, h.keys, h.token, h.stopping, h.log);
      return encodeInrOutcome(await runInrEditingJob(ctx, job, store), store);
    },
  };
}

/** The task's text has errors: rendered against that text. */
export class TaskSourceError extends Error {
  constructor(readonly diagnostics: Diagnostic[], readonly sources: Map<string, string>) {
    super(renderDiagnostics(diagnostics, sources));
  }
}

/** A worker's task progress: stage and log lines only (its jobs' epochs would flood the log). */
function workerProgress(log: (line: string) => void): Progress {
  return {
    stage: log,
    data: (done, total) => {
      if (done === total) log(`data: ${total} models generated`);
    },
    log,
    startTraining: () => {},
    advance: () => {},
    stop: () => {},
  };
}
