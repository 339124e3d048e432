// A curvature task's preset trained in memory on a WebGPU `GPU` object — the page's navigator.gpu
// in the playground, the `webgpu` package's in Node tests. The same jobs as `gmn run --preset P
// --backend webgpu` (runtime/tasks/curvature.ts: the same generated data, training, evaluation and
// recalibration, one after another), without what needs a file system: the dataset is generated,
// not cached; checkpoints and metrics stay in memory; the table is returned, not written.
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostic } from '../../compiler/diagnostics/render-one.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import { generateCurvatureData } from '../data/curvature.js';
import { describeAdapter, deviceLabel } from '../device/adapter-description.js';
import { WebGpuDevice } from '../device/webgpu-device.js';
import { webgpuExecutor } from '../gpu/webgpu-executor.js';
import {
  curvatureContext, curvatureJobs, curvatureModels, errorMetric, jobUnits, runCurvatureJob, type CurvatureSetup,
} from '../tasks/curvature.js';
import { JobHandedBack, type JobStore } from '../tasks/job-store.js';
import type { Progress } from '../tasks/progress.js';
import { summarise, type RunResult } from '../tasks/summary.js';
import { taskConfig } from '../tasks/task-config.js';
import { taskTarget } from '../tasks/task-target.js';
import type { PlaygroundEpoch, PlaygroundRunOptions, PlaygroundRunResult } from './engine.js';
import { analyseText, hasErrors } from './program-text.js';

export async function runPresetInMemory(source: string, preset: string, gpu: GPU, opts: PlaygroundRunOptions): Promise<PlaygroundRunResult> {
  const started = performance.now();
  const text = analyseText(source);
  const { analysis } = text;
  if (hasErrors(analysis) || analysis.module === undefined) {
    throw new Error(`the text has errors:\n${analysis.diagnostics.map((d) => renderDiagnostic(d, text.sources.get(d.span.file))).join('\n')}`);
  }
  const module = analysis.module;
  const tasks = [...module.symbols.tasks.values()];
  const task = tasks.find((t) => taskKind(t.fields)?.name === 'curvature');
  if (task === undefined) {
    throw new Error(tasks.length === 0 ? 'the text declares no task to run' : 'the playground runs curvature tasks; this text has none (run the others with `gmn run`)');
  }
  opts.onProgress({ phase: 'compile', step: 0, total: 1 });
  const setup = withDiagnostics(text.sources, () => {
    const config = taskConfig(task, preset);
    if (config.data.generator !== 'random_targets') throw new Error(`task \`${config.name}\` reads its data from files (gradient_files), which a browser cannot: run it with \`gmn run\``);
    return { program: analysis.program, module, task, config, target: taskTarget(module, task, config.target) };
  });
  const adapter = await gpu.requestAdapter();
  if (adapter === null) throw new Error('WebGPU gives no adapter here');
  const device = await WebGpuDevice.onAdapter({ gpu, adapter, description: describeAdapter(adapter, 'browser') });
  try {
    const epochs: PlaygroundEpoch[] = [];
    const progress = bridgeProgress(opts, epochs);
    const run: CurvatureSetup = { ...setup, executor: webgpuExecutor(device), device: deviceLabel(device.description), progress };
    const models = withDiagnostics(text.sources, () => curvatureModels(run));
    const { config, target } = run;
    opts.onProgress({ phase: 'data', step: 0, total: config.data.models });
    const data = generateCurvatureData(target, config.data, config.label, { progress: (done, total) => opts.onProgress({ phase: 'data', step: done, total }) });
    const ctx = curvatureContext(run, models, data);
    const all = curvatureJobs(config, models, target);
    progress.startTraining(all.reduce((n, job) => n + jobUnits(config, job), 0));
    const results: RunResult[] = [];
    const store = memoryStore(epochs, opts.signal);
    for (const job of all) {
      throwIfAborted(opts.signal);
      try {
        results.push(...await withDiagnosticsAsync(text.sources, () => runCurvatureJob(ctx, job, store)));
      } catch (e) {
        if (e instanceof JobHandedBack) throwIfAborted(opts.signal);
        throw e;
      }
      if (job.kind === 'evaluate') progress.advance(1, `${job.model}: evaluated`);
    }
    opts.onProgress({ phase: 'done', step: 1, total: 1 });
    return {
      task: config.name, preset: config.preset, device: run.device, metric: errorMetric(config),
      summaries: summarise(results), results, epochs, seconds: (performance.now() - started) / 1000,
    };
  } finally {
    device.destroy();
  }
}

/** A job's state kept in memory: no resuming, every finished epoch recorded for the loss plot. */
function memoryStore(epochs: PlaygroundEpoch[], signal: AbortSignal | undefined): JobStore {
  return {
    loadCheckpoint: async () => null,
    epochDone: async (m) => {
      epochs.push({ model: m.model, trainSize: m.trainSize, seed: m.seed, epoch: m.epoch, trainLoss: m.trainLoss, validationError: m.validationError });
    },
    trained: async () => {},
    // A stop is honoured at the end of an epoch: the job throws JobHandedBack, the run an AbortError.
    stopRequested: () => signal?.aborted ?? false,
  };
}

/** The protocol's progress calls as the page's progress events: one step per epoch or evaluation. */
function bridgeProgress(opts: PlaygroundRunOptions, epochs: readonly PlaygroundEpoch[]): Progress {
  let total = 0;
  let step = 0;
  return {
    stage: () => {},
    data: (done, all) => opts.onProgress({ phase: 'data', step: done, total: all }),
    log: () => {},
    startTraining: (units) => {
      total = units;
      opts.onProgress({ phase: 'train', step, total });
    },
    advance: (units, status) => {
      step += units;
      const last = epochs[epochs.length - 1];
      const evaluated = status.endsWith(': evaluated');
      opts.onProgress({ phase: evaluated ? 'evaluate' : 'train', step, total, ...(evaluated || last === undefined ? {} : { loss: last.trainLoss, epoch: last }) });
    },
    stop: () => {},
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new DOMException('the run was stopped', 'AbortError');
}

/** Errors in the text found while configuring or training (a bad preset, a diverged run) as rendered diagnostics. */
function withDiagnostics<T>(sources: ReadonlyMap<string, string>, work: () => T): T {
  try {
    return work();
  } catch (e) {
    throw rendered(e, sources);
  }
}

async function withDiagnosticsAsync<T>(sources: ReadonlyMap<string, string>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw rendered(e, sources);
  }
}

function rendered(e: unknown, sources: ReadonlyMap<string, string>): unknown {
  return e instanceof DiagnosticError ? new Error(e.diagnostics.map((d) => renderDiagnostic(d, sources.get(d.span.file))).join('\n')) : e;
}
