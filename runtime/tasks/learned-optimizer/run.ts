// The learned-optimization protocol (paper §6.2), in float64: for every base task and every
// learned optimizer, meta-train φ with PES (checkpointed, resumable bit-identically), keep the
// result under trained/; then tune Adam's learning rate on the grid, run Adam and every
// meta-trained optimizer from the same initialisations and batches per seed, and score them as the
// paper does (evaluation.ts). Writes report.md, results.json and one test-loss plot per base task.
// The work is a set of independent jobs (jobs.ts), run here one after another or by the workers of
// a job queue (`runner`), recorded job by job in the run directory (job-records.ts).
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import { JobHandedBack } from '../job-store.js';
import { sampleLoadAverage } from '../load-range.js';
import type { Runner } from '../job-runner.js';
import type { Progress } from '../progress.js';
import { RunDirectory } from '../run-directory.js';
import type { LearnedOptimizationConfig } from './config.js';
import type { GpuDevice } from '../../device/index.js';
import { deviceBackend, FLOAT64_CPU, learnedOptimizerBackend, runsOnDevice, type BackendKind } from './device-backend.js';
import { JobRecords } from './job-records.js';
import {
  baseTaskResult, jobUnits, learnedOptimizerContext, learnedOptimizerJobName, learnedOptimizerJobs, localLearnedOptimizerRunner,
  type LearnedOptimizerContext, type LearnedOptimizerJob, type LearnedOptimizerOutcome,
} from './jobs.js';
import { writeLearnedOptimizationReport } from './report.js';

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
  /** What runs the image tasks' inner steps (device-backend.ts; default auto: WebGPU when an adapter exists). */
  backend?: BackendKind;
  /** An open device to use instead (the caller keeps it open; tests share theirs and its pipeline cache). */
  gpu?: GpuDevice;
  /** Runs the jobs; by default one after another in this process. */
  runner?: (ctx: LearnedOptimizerContext) => Runner<LearnedOptimizerJob, LearnedOptimizerOutcome>;
}

export type RunOutcome = 'finished' | 'stopped';

export async function runLearnedOptimizationTask(run: LearnedOptimizationRun): Promise<RunOutcome> {
  const { config, progress } = run;
  const started = Date.now();
  const load = sampleLoadAverage();
  const dir = RunDirectory.open(run.outDir, JSON.parse(JSON.stringify(config, (k, v: unknown) => (k === 'span' ? undefined : v))) as unknown, (l) => progress.log(l));
  // A queued run trains nothing here: its workers choose their own device.
  const { gpu, device } = run.runner !== undefined ? { gpu: undefined, device: 'the job queue\'s workers' }
    : config.baseTasks.some((b) => runsOnDevice(b.kind)) ? (run.gpu !== undefined ? deviceBackend(run.gpu) : await learnedOptimizerBackend(run.backend ?? 'auto'))
    : { gpu: undefined, device: FLOAT64_CPU };
  progress.stage(`inner steps: ${device}`);
  const ctx = learnedOptimizerContext({ program: run.program, module: run.module, config, progress, device, gpu, checkpointEvery: run.checkpointEvery });
  const records = new JobRecords(run.outDir, (l) => progress.log(l));
  const runner = run.runner?.(ctx) ?? localLearnedOptimizerRunner(ctx, (job) => records.store(job, run.shouldStop));
  try {
    const jobs = learnedOptimizerJobs(config);
    const outcomes: LearnedOptimizerOutcome[] = [];
    const finished: LearnedOptimizerJob[] = [];
    const metaSize = (job: LearnedOptimizerJob): number => (job.kind === 'adam' ? 0 : ctx.bases.get(job.base)!.optimizers.find((o) => o.label === job.optimizer)!.metaSize);
    for (const job of jobs) {
      const recorded = records.recorded(job, metaSize(job));
      if (recorded === undefined) continue;
      outcomes.push(recorded);
      finished.push(job);
    }
    await runner.prepare();
    progress.startTraining(jobs.reduce((n, job) => n + jobUnits(config, job), 0));
    for (const job of finished) progress.advance(jobUnits(config, job), `${learnedOptimizerJobName(job)}: done earlier`);
    try {
      await runner.run(jobs.filter((j) => !finished.includes(j)), finished, (outcome) => {
        records.record(outcome);
        outcomes.push(outcome);
      });
    } catch (e) {
      if (!(e instanceof JobHandedBack)) throw e;
      progress.stop();
      return 'stopped';
    }
    progress.stop();
    const results = config.baseTasks.map((base) => baseTaskResult(config, base, outcomes));
    await writeLearnedOptimizationReport(run.outDir, { task: config.name, preset: config.preset, pes: config.pes, rule: config.rule, device, seconds: (Date.now() - started) / 1000, loadAverage: load.stop() }, results);
    return 'finished';
  } finally {
    load.stop();
    await runner.close();
    if (run.gpu === undefined) gpu?.destroy();
    dir.close();
  }
}
