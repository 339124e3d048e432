// Running a task as a library call: what `gmn run FILE` does on this machine (no queue), returning
// where the report is. Curvature-protocol tasks (generated data or `gradient_files`) and
// learned-optimization tasks run here; INR editing needs a WebGPU adapter (`gmn run` opens it).
import { join, resolve } from 'node:path';
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { chooseBackend } from '../tasks/backend.js';
import { runCurvatureTask } from '../tasks/curvature-run.js';
import { learnedOptimizationConfig } from '../tasks/learned-optimizer/config.js';
import { runLearnedOptimizationTask } from '../tasks/learned-optimizer/run.js';
import { consoleProgress, type Progress } from '../tasks/progress.js';
import type { RunResult } from '../tasks/report.js';
import { DEFAULT_PRESET, taskConfig } from '../tasks/task-config.js';
import { taskTarget } from '../tasks/task-target.js';
import { HintedError } from '../util/hinted-error.js';
import { check, type CheckResult } from './check.js';

export type { Progress, RunResult };

export interface RunTaskOptions {
  /** The .gmn file (or an already checked program: `check(file)`'s result). */
  file: string | (CheckResult & { ok: boolean });
  /** Which task of the file (default: its only one). */
  task?: string;
  preset?: string;
  /** The run directory (default `runs/<task>-<preset>`); a second call resumes it. */
  out?: string;
  /** What trains the models: `auto` (WebGPU when an adapter exists, else the reference executor), `webgpu`, `reference`. */
  backend?: 'auto' | 'webgpu' | 'reference';
  /** Progress lines (default: a bar or plain lines on stderr). */
  progress?: Progress;
}

export interface RunTaskResult {
  task: string;
  preset: string;
  /** The run directory, with report.md, results.json, metrics.jsonl and trained/. */
  outDir: string;
  report: string;
  /** Curvature-protocol tasks: every (model, training size, seed) result; [] for other kinds (see results.json). */
  results: RunResult[];
}

/**
 * Runs a task of a .gmn file. Errors in the file throw a DiagnosticError (its `diagnostics`); a
 * problem the user can fix without editing the file (data, run directory, no adapter) a HintedError
 * (`message` and `hint`).
 */
export async function runTask(options: RunTaskOptions): Promise<RunTaskResult> {
  const checked = typeof options.file === 'string' ? check(options.file) : options.file;
  if (!checked.ok) throw new DiagnosticError(checked.diagnostics.filter((d) => d.severity === 'error'));
  const root = checked.program.roots[0]!;
  const task = pickTask([...root.symbols.tasks.values()], options.task, root.file);
  const preset = options.preset ?? DEFAULT_PRESET;
  const outDir = resolve(options.out ?? join('runs', `${task.name.name}-${preset}`));
  const progress = options.progress ?? consoleProgress();
  const backend = options.backend ?? 'auto';
  const done = (results: RunResult[]): RunTaskResult => ({ task: task.name.name, preset, outDir, report: join(outDir, 'report.md'), results });
  const kind = taskKind(task.fields)?.name;
  if (kind === 'inr_editing') throw new HintedError(`task \`${task.name.name}\` is an INR-editing task, which the library does not run`, `run it with: gmn run ${root.file} --task ${task.name.name}`);
  if (kind === 'learned_optimization') {
    const config = learnedOptimizationConfig(task, preset);
    progress.stage(`gmn run: task ${task.name.name}, preset ${preset}`);
    progress.stage(`run directory: ${outDir}`);
    await runLearnedOptimizationTask({ program: checked.program, module: root, config, outDir, progress, backend });
    return done([]);
  }
  const config = taskConfig(task, preset);
  const target = taskTarget(root, task, config.target);
  const chosen = await chooseBackend(backend);
  progress.stage(`gmn run: task ${config.name}, preset ${preset}, ${chosen.device}`);
  progress.stage(`run directory: ${outDir}`);
  const { results } = await runCurvatureTask({
    program: checked.program, module: root, task, config, target, outDir, executor: chosen.factory, device: chosen.device, progress,
  });
  return done(results);
}

function pickTask(tasks: TaskDecl[], name: string | undefined, file: string): TaskDecl {
  const names = tasks.map((t) => t.name.name).join(', ');
  if (tasks.length === 0) throw new HintedError(`${file} declares no task to run`, 'declare one with `task NAME { ... }`');
  if (name === undefined) {
    if (tasks.length > 1) throw new HintedError(`${file} declares several tasks (${names})`, 'pick one with the `task` option');
    return tasks[0]!;
  }
  const task = tasks.find((t) => t.name.name === name);
  if (task === undefined) throw new HintedError(`${file} has no task \`${name}\``, `tasks: ${names}`);
  return task;
}
