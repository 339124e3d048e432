// `gmn compile FILE --out DIR`: lowers every model of every task in FILE (for the task's target,
// set size and batch) and writes, per model, what the WebGPU executor runs — the forward pass and
// the training step, each after the optimisation stage — as kernels, dispatch plan and IR (a file
// without tasks: the forward pass of each net it declares, for each target it declares):
//   DIR/<task>/<net>/{forward,train_step}/<kernel>.wgsl   one file per distinct kernel
//   DIR/<task>/<net>/{forward,train_step}/plan.json       buffers, dispatches (kernel, uniforms, bindings, workgroups)
//   DIR/<task>/<net>/{forward,train_step}/graph.ir        the optimised graph the dispatches compute
// See docs/runtime.md for how to read them.
import { join } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { writePlan } from '../../../compiler/wgsl/emit.js';
import { DEFAULT_BATCH, DEFAULT_SET_SIZE, planFile } from '../../api/plan-file.js';
import { DEFAULT_PRESET } from '../../tasks/task-config.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';


export const compileCommand: Command = {
  name: 'compile',
  summary: 'write the WGSL kernels and dispatch plan of every model of a task (or every net of a file)',
  usage: [
    'usage: gmn compile FILE --out DIR [--task NAME] [--preset NAME] [--set-size N] [--batch N]',
    '',
    'For each task in FILE (or only --task NAME) and each of its models, lowers the net for the',
    'task\'s target, set size (data points) and batch, optimises and plans its forward pass and its',
    'training step (forward, loss, backward) as the WebGPU executor runs them, and writes',
    '  DIR/<task>/<net>/forward/ and DIR/<task>/<net>/train_step/, each with one <kernel>.wgsl',
    '  per kernel, plan.json (buffers, dispatches) and graph.ir (the optimised IR they compute)',
    'A file without tasks: each net it declares, for each target it declares, forward pass only',
    '(no task gives a loss), sets of --set-size gradients, --batch examples, in DIR/<net>/<target>/forward/.',
    '',
    'options:',
    '  --out DIR       output folder (created if missing)',
    '  --task NAME     compile only this task',
    `  --preset NAME   the task preset whose sizes to use (default: ${DEFAULT_PRESET})`,
    `  --set-size N    gradients per set, for a file without tasks (default ${DEFAULT_SET_SIZE})`,
    `  --batch N       examples per batch, for a file without tasks (default ${DEFAULT_BATCH})`,
    '',
    'exit codes: 0 ok, 1 the file has errors, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      out: { type: 'string' },
      task: { type: 'string' },
      preset: { type: 'string' },
      'set-size': { type: 'string' },
      batch: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one FILE', this);
    if (values.out === undefined) throw new UsageError('--out DIR is required', this);
    const setSize = positiveInt(values['set-size'], DEFAULT_SET_SIZE, '--set-size', this);
    const batch = positiveInt(values.batch, DEFAULT_BATCH, '--batch', this);
    const checked = checkFiles(positionals);
    const report = (diagnostics: Diagnostic[]): number => {
      process.stderr.write(renderDiagnostics(diagnostics, checked.sources));
      return EXIT.diagnostics;
    };
    if (checked.diagnostics.some((d) => d.severity === 'error')) return report(checked.diagnostics);
    const module = checked.program.roots[0]!;
    const planned = planFile(checked.program, module, {
      setSize, batch, ...(values.task === undefined ? {} : { task: values.task }), ...(values.preset === undefined ? {} : { preset: values.preset }),
    });
    if (!planned.ok) throw new UsageError(planned.problem, this);
    for (const { path, plan, instantiation } of planned.plans) {
      const dir = join(values.out, ...path);
      writePlan(plan, dir, instantiation);
      process.stdout.write(`${dir}: ${plan.kernels.length} kernels, ${plan.dispatches.length} dispatches, ${plan.buffers.length} buffers\n`);
    }
    if (planned.diagnostics.length > 0) return report(planned.diagnostics);
    return planned.plans.length > 0 ? EXIT.ok : EXIT.diagnostics;
  },
};

function positiveInt(value: string | undefined, fallback: number, flag: string, command: Command): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`, command);
  return n;
}
