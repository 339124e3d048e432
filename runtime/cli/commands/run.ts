// `gmn run [FILE] [--preset NAME] [--out DIR]`: run a task of a .gmn file and write its report.
// Without FILE it runs the embedded default, the paper's curvature study (dsl-examples/curvature.gmn).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { packageRoot } from '../../../compiler/resolve/package-root.js';
import { lookup } from '../../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import { DataError } from '../../targets/errors.js';
import { chooseBackend, NoAdapterError, type BackendChoice } from '../../tasks/backend.js';
import { runCurvatureTask } from '../../tasks/curvature.js';
import { consoleProgress } from '../../tasks/progress.js';
import { ConfigMismatchError } from '../../tasks/run-directory.js';
import { DEFAULT_PRESET, presetNames, taskConfig } from '../../tasks/task-config.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

const DEFAULT_FILE = join('dsl-examples', 'curvature.gmn');

export const runCommand: Command = {
  name: 'run',
  summary: 'run a task of a .gmn file and write its report (default: the curvature study)',
  usage: [
    'usage: gmn run [FILE] [--preset NAME] [--out DIR] [--task NAME] [--backend auto|webgpu|reference]',
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
    '',
    'exit codes: 0 ok, 1 errors in the input or data, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      preset: { type: 'string' },
      out: { type: 'string' },
      task: { type: 'string' },
      backend: { type: 'string' },
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
      const config = taskConfig(task, preset);
      const sym = lookup(root, config.target);
      if (sym === undefined || sym.kind !== 'target') {
        throw new DiagnosticError([error('run/unknown-target', `\`${config.target}\` is not a target declared in this file`, task.name.span)]);
      }
      const target = elaborateTarget(sym.decl);
      if (!target.ok) throw new DiagnosticError(target.diagnostics);
      const chosen: BackendChoice = await chooseBackend(backend);
      const progress = consoleProgress();
      progress.stage(`gmn run: task ${config.name}, preset ${preset}, ${chosen.device}`);
      progress.stage(`run directory: ${outDir}`);
      await runCurvatureTask({
        program: checked.program, module: root, task, config, target: target.value, outDir,
        executor: chosen.factory, device: chosen.device, progress,
      });
      process.stdout.write(`report: ${join(outDir, 'report.md')}\n`);
      return EXIT.ok;
    } catch (e) {
      if (e instanceof DiagnosticError) {
        process.stderr.write(renderDiagnostics(e.diagnostics, checked.sources));
        return EXIT.diagnostics;
      }
      if (e instanceof DataError) {
        process.stderr.write(`gmn run: error: ${e.message}\n  hint: ${e.hint}\n`);
        return EXIT.diagnostics;
      }
      if (e instanceof NoAdapterError) {
        process.stderr.write(`gmn run: error: ${e.message}\n  hint: or run with --backend reference (float64, slow)\n`);
        return EXIT.diagnostics;
      }
      if (e instanceof ConfigMismatchError) {
        process.stderr.write(`gmn run: error: ${e.message}\n  hint: pass another --out DIR, or delete that directory to start over\n`);
        return EXIT.diagnostics;
      }
      throw e;
    }
  },
};

/** The curvature study shipped with gmn, found next to the installed package. */
function embeddedDefault(): string {
  const local = resolve(DEFAULT_FILE);
  return existsSync(local) ? local : join(packageRoot(), DEFAULT_FILE);
}
