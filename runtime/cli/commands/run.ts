// `gmn run [FILE] [--preset NAME] [--out DIR]`: run a task of a .gmn file and write its report.
// Without FILE it runs the embedded default, the paper's curvature study (dsl-examples/curvature.gmn).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { packageRoot } from '../../../compiler/resolve/package-root.js';
import { taskKind } from '../../../compiler/resolve/task-schema.js';
import { lookup, type ResolvedModule } from '../../../compiler/resolve/resolve.js';
import type { TaskDecl } from '../../../compiler/syntax/ast.js';
import { dumpCurvatureData } from '../../tasks/dump-data.js';
import { dumpTargetGradients } from '../../tasks/dump-grads.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import { NoAdapterError } from '../../tasks/backend.js';
import { runTask } from '../../api/run-task.js';
import { runCurvatureTask } from '../../tasks/curvature-run.js';
import { GpuDevice, INSTALL_HINT } from '../../device/index.js';
import { webgpuExecutor } from '../../gpu/index.js';
import { inrEditingConfig } from '../../tasks/inr-editing/config.js';
import { runInrEditingTask } from '../../tasks/inr-editing/run.js';
import { learnedOptimizationConfig } from '../../tasks/learned-optimizer/config.js';
import { learnedOptimizerJobDescription } from '../../tasks/learned-optimizer/jobs.js';
import { runLearnedOptimizationTask } from '../../tasks/learned-optimizer/run.js';
import { consoleProgress } from '../../tasks/progress.js';
import { DEFAULT_PRESET, presetNames, taskConfig } from '../../tasks/task-config.js';
import { taskTarget } from '../../tasks/task-target.js';
import { DEFAULT_QUEUE_NAME, queueEndpoint } from '../../queue/connection.js';
import { inrQueueRunner } from '../../queue/inr-runner.js';
import { queueJobs, queueRunner } from '../../queue/queue-runner.js';
import { taskPayload } from '../../queue/task-source.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

const DEFAULT_FILE = join('dsl-examples', 'curvature.gmn');

export const runCommand: Command = {
  name: 'run',
  summary: 'run a task of a .gmn file and write its report (default: the curvature study)',
  usage: [
    'usage: gmn run [FILE] [--preset NAME] [--out DIR] [--task NAME] [--backend auto|webgpu|reference]',
    '       gmn run FILE --queue redis://HOST[:PORT][/DB] [--queue-name NAME] [--password-file FILE] [--preset NAME] [--out DIR]',
    '       gmn run FILE --dump-grads DIR [--target NAME] [--count N] [--seed N] [--dtype float32|float64]',
    '       gmn run FILE --dump-data DIR [--preset NAME] [--task NAME]',
    '',
    'Runs the task declared in FILE (default: the embedded dsl-examples/curvature.gmn) with one of its',
    'presets, and writes a run directory: config.json, metrics.jsonl, results.jsonl, checkpoints/,',
    'report.md, results.json and test_error.svg. Re-running the same command resumes where an',
    'interrupted run stopped.',
    '',
    'options:',
    `  --preset NAME   the task preset to apply (default: ${DEFAULT_PRESET})`,
    '  --out DIR       the run directory (default: runs/<task>-<preset>)',
    '  --task NAME     which task, when the file declares several',
    '  --backend B     auto (WebGPU if an adapter exists, else the float64 reference), webgpu, reference',
    '  --queue URL     split the run into jobs on a BullMQ queue on Redis (rediss:// for TLS) and wait',
    '                  while `gmn worker` processes on any machines run them; writes the same run',
    '                  directory, with the same results. Run it again to pick up where it stopped.',
    '                  Credentials: GMN_REDIS_PASSWORD (and GMN_REDIS_USER), GMN_REDIS_PASSWORD_FILE',
    '                  or --password-file FILE, never in the URL (docs/distributed.md)',
    `  --queue-name N  the queue (default: ${DEFAULT_QUEUE_NAME}); --password-file F: the Redis password's file`,
    '  --dump-grads DIR  instead of running the task, write one batch of decomposed gradients of a',
    '                  target (default: the task\'s) as .npy files + manifest.json (docs/grad-format.md),',
    '                  with the θ, inputs, targets and loss kind that produced them',
    '  --target NAME   the target to dump; --count N examples or sequences (default 16); --seed N (default 0);',
    '                  --dtype float32 (default) or float64',
    '  --dump-data DIR instead of training, write the task\'s dataset as it is trained on (Γ_b sets, θ,',
    '                  labels, splits, normalisation statistics) as .npy files + manifest.json (docs/datasets.md)',
    '',
    'exit codes: 0 ok, 1 errors in the input or data, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      preset: { type: 'string' },
      out: { type: 'string' },
      task: { type: 'string' },
      backend: { type: 'string' },
      'dump-grads': { type: 'string' },
      'dump-data': { type: 'string' },
      target: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      dtype: { type: 'string' },
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      'password-file': { type: 'string' },
    });
    if (positionals.length > 1) throw new UsageError('gmn run takes one file', this);
    const backend = values.backend ?? 'auto';
    if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'reference') {
      throw new UsageError(`unknown backend \`${backend}\` (use auto, webgpu or reference)`, this);
    }
    const file = positionals[0] ?? embeddedDefault();
    const checked = checkFiles([file]);
    if (checked.diagnostics.length > 0) process.stderr.write(renderDiagnostics(checked.diagnostics, checked.sources));
    if (checked.diagnostics.some((d) => d.severity === 'error')) return EXIT.diagnostics;

    const root = checked.program.roots[0]!;
    const dumpDir = values['dump-grads'];
    if (dumpDir !== undefined) return dump(this, root, dumpDir, values, checked.sources);
    const tasks = [...root.symbols.tasks.values()];
    if (tasks.length === 0) throw new UsageError(`${file} declares no task to run`, this);
    const task = values.task === undefined ? tasks[0]! : tasks.find((t) => t.name.name === values.task);
    if (task === undefined) throw new UsageError(`${file} has no task \`${values.task}\` (tasks: ${tasks.map((t) => t.name.name).join(', ')})`, this);
    if (values.task === undefined && tasks.length > 1) {
      throw new UsageError(`${file} declares several tasks; pick one with --task (${tasks.map((t) => t.name.name).join(', ')})`, this);
    }
    const preset = values.preset ?? DEFAULT_PRESET;
    if (!presetNames(task).includes(preset) && preset !== DEFAULT_PRESET) {
      throw new UsageError(`task \`${task.name.name}\` has no preset \`${preset}\` (presets: ${presetNames(task).join(', ')})`, this);
    }
    const outDir = resolve(values.out ?? join('runs', `${task.name.name}-${preset}`));

    try {
      const dataDir = values['dump-data'];
      if (taskKind(task.fields)?.name === 'inr_editing') {
        if (dataDir !== undefined) throw new UsageError(`--dump-data applies to curvature tasks; \`${task.name.name}\` is an INR-editing task`, this);
        const config = inrEditingConfig(task, preset);
        const endpoint = values.queue === undefined ? undefined : queueEndpoint(values.queue, values['queue-name'] ?? DEFAULT_QUEUE_NAME, process.env, values['password-file']);
        const payload = endpoint === undefined ? undefined : taskPayload(file, checked.program, task.name.name, preset);
        const target = taskTarget(root, task, config.target);
        const gpu = await GpuDevice.open({ throttlePolling: true });
        if (gpu === null) throw new NoAdapterError('INR editing fits and trains on WebGPU, and no adapter was found', INSTALL_HINT);
        const progress = consoleProgress();
        progress.stage(`gmn run: task ${config.name}, preset ${preset}, ${endpoint === undefined ? '' : `jobs on ${endpoint.display}, datasets on `}WebGPU ${gpu.description.path}: ${gpu.description.description}`);
        progress.stage(`run directory: ${outDir}`);
        await runInrEditingTask({
          program: checked.program, module: root, task, config, target, outDir, gpu, executor: webgpuExecutor(gpu),
          device: `WebGPU ${gpu.description.path}: ${gpu.description.description}`, progress,
          // Queued, the submitter still builds each edit's dataset from the fits for the report.
          ...(endpoint === undefined || payload === undefined ? {} : { runner: inrQueueRunner(endpoint, payload, config) }),
        });
        process.stdout.write(`report: ${join(outDir, 'report.md')}\n`);
        return EXIT.ok;
      }
      if (dataDir !== undefined) {
        if (taskKind(task.fields)?.name === 'learned_optimization') {
          throw new UsageError(`--dump-data writes a curvature task's dataset; \`${task.name.name}\` is a learned-optimization task`, this);
        }
        const config = taskConfig(task, preset);
        if (config.data.generator === 'gradient_files') throw new UsageError(`task \`${task.name.name}\` reads its data from ${config.data.dir ?? 'files'}: there is no generated dataset to dump`, this);
        const manifest = dumpCurvatureData({ config, layout: taskTarget(root, task, config.target), dir: resolve(dataDir) });
        const shapes = Object.entries(manifest.arrays).map(([k, a]) => `${k} [${a.shape.join(', ')}]`).join(', ');
        process.stdout.write(`dumped the dataset of task ${config.name} (preset ${preset}) to ${resolve(dataDir)}: ${shapes}\n`);
        return EXIT.ok;
      }
      if (values.queue !== undefined && dataDir !== undefined) throw new UsageError('--queue and --dump-data do not go together', this);
      if (taskKind(task.fields)?.name === 'learned_optimization') {
        const config = learnedOptimizationConfig(task, preset);
        const progress = consoleProgress();
        const endpoint = values.queue === undefined ? undefined : queueEndpoint(values.queue, values['queue-name'] ?? DEFAULT_QUEUE_NAME, process.env, values['password-file']);
        progress.stage(`gmn run: task ${task.name.name}, preset ${preset}${endpoint === undefined ? '' : `, jobs on ${endpoint.display}`}`);
        progress.stage(`run directory: ${outDir}`);
        const payload = endpoint === undefined ? undefined : taskPayload(file, checked.program, task.name.name, preset);
        await runLearnedOptimizationTask({
          program: checked.program, module: root, config, outDir, progress, backend,
          ...(endpoint === undefined || payload === undefined ? {} : { runner: () => queueJobs(endpoint, payload, learnedOptimizerJobDescription(config), progress) }),
        });
        process.stdout.write(`report: ${join(outDir, 'report.md')}\n`);
        return EXIT.ok;
      }
      const config = taskConfig(task, preset);
      const target = taskTarget(root, task, config.target);
      const progress = consoleProgress();
      if (values.queue !== undefined) {
        if (config.data.generator === 'gradient_files') throw new UsageError(`task \`${config.name}\` reads gradient files from this machine's ${config.data.dir ?? 'disk'}, which queue workers do not have: run it without --queue`, this);
        const endpoint = queueEndpoint(values.queue, values['queue-name'] ?? DEFAULT_QUEUE_NAME, process.env, values['password-file']);
        progress.stage(`gmn run: task ${config.name}, preset ${preset}, jobs on ${endpoint.display}`);
        progress.stage(`run directory: ${outDir}`);
        await runCurvatureTask({
          program: checked.program, module: root, task, config, target, outDir, progress,
          // The submitter trains nothing: its jobs run on the workers.
          executor: () => Promise.reject(new Error('internal: a queued run trains only on its workers')),
          device: endpoint.display,
          runner: queueRunner(endpoint, taskPayload(file, checked.program, task.name.name, preset)),
        });
        process.stdout.write(`report: ${join(outDir, 'report.md')}\n`);
        return EXIT.ok;
      }
      const run = await runTask({ file: { ...checked, ok: true }, task: task.name.name, preset, out: outDir, backend, progress });
      process.stdout.write(`report: ${run.report}\n`);
      return EXIT.ok;
    } catch (e) {
      return reportFailure(e, this.name, checked.sources);
    }
  },
};

/** `--dump-grads DIR`: one batch of decomposed gradients of a target of the file. */
function dump(
  command: Command, root: ResolvedModule, dir: string,
  values: { target?: string | undefined; count?: string | undefined; seed?: string | undefined; dtype?: string | undefined },
  sources: ReadonlyMap<string, string>,
): number {
  const count = positiveInt(command, 'count', values.count ?? '16');
  const seed = positiveInt(command, 'seed', values.seed ?? '0', true);
  const dtype = values.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new UsageError(`--dtype must be float32 or float64, not \`${dtype}\``, command);
  const targets = [...root.symbols.targets.keys()];
  const task = [...root.symbols.tasks.values()][0];
  const name = values.target ?? (task !== undefined ? taskTargetName(task) : targets[0]);
  if (name === undefined) throw new UsageError('the file declares no target to dump', command);
  const sym = lookup(root, name);
  if (sym === undefined || sym.kind !== 'target') {
    throw new UsageError(`no target \`${name}\` in the file (targets: ${targets.join(', ') || 'none'})`, command);
  }
  const layout = elaborateTarget(sym.decl);
  if (!layout.ok) {
    process.stderr.write(renderDiagnostics(layout.diagnostics, sources));
    return EXIT.diagnostics;
  }
  try {
    const manifest = dumpTargetGradients({ layout: layout.value, dir: resolve(dir), count, seed, dtype });
    const shapes = Object.entries(manifest.arrays).map(([k, a]) => `${k} [${a.shape.join(', ')}]`).join(', ');
    process.stdout.write(`dumped ${manifest.examples} examples of ${name} to ${resolve(dir)}: ${shapes} (${manifest.dtype})\n`);
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e, command.name, sources);
  }
}

function taskTargetName(task: TaskDecl): string | undefined {
  const field = task.fields.find((f) => f.key.name === 'target');
  return field !== undefined && field.value.kind === 'name' ? field.value.name : undefined;
}

function positiveInt(command: Command, flag: string, text: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new UsageError(`--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, not \`${text}\``, command);
  return n;
}

/** The curvature study shipped with gmn, found next to the installed package. */
function embeddedDefault(): string {
  const local = resolve(DEFAULT_FILE);
  return existsSync(local) ? local : join(packageRoot(), DEFAULT_FILE);
}
