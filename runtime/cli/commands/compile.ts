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
import { DiagnosticError, type Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { lowerNet } from '../../../compiler/ir/lower.js';
import { taskKind } from '../../../compiler/resolve/task-schema.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import { writePlan } from '../../../compiler/wgsl/emit.js';
import { planGraph, type Plan } from '../../../compiler/wgsl/plan.js';
import type { Instantiation } from '../../../compiler/ir/types.js';
import { optimizeNet } from '../../../compiler/optimize/passes.js';
import { layoutTables } from '../../gpu/tables.js';
import { DEFAULT_PRESET, taskConfig, type TaskConfig } from '../../tasks/task-config.js';
import { lookup } from '../../../compiler/resolve/resolve.js';
import { planModel } from '../../api/compile.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

/** Sizes for the nets of a file without tasks (a task brings its own). */
const DEFAULT_SET_SIZE = 16;
const DEFAULT_BATCH = 32;

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
    const out = values.out;
    const write = (plan: Plan, dir: string, inst: Instantiation): void => {
      writePlan(plan, dir, inst);
      process.stdout.write(`${dir}: ${plan.kernels.length} kernels, ${plan.dispatches.length} dispatches, ${plan.buffers.length} buffers\n`);
    };
    const diagnostics: Diagnostic[] = [];
    let written = 0;

    // Only curvature tasks train nets of the file with a loss; a file with none compiles its nets' forward passes.
    const curvatureTasks = [...module.symbols.tasks.values()].filter((t) => taskKind(t.fields)?.name === 'curvature');
    if (curvatureTasks.length === 0 && values.task === undefined) {
      const targets = [...module.symbols.targets.values()];
      const nets = [...module.symbols.nets.values()];
      if (targets.length === 0 || nets.length === 0) throw new UsageError(`${positionals[0]} declares no task, and no net and target to compile one for`, this);
      for (const targetDecl of targets) {
        const target = elaborateTarget(targetDecl);
        if (!target.ok) { diagnostics.push(...target.diagnostics); continue; }
        for (const net of nets) {
          const lowered = lowerNet({ program: checked.program, module, net: net.name.name, args: new Map(), target: target.value, setSize });
          if (!lowered.ok) { diagnostics.push(...lowered.diagnostics); continue; }
          const { graph, instantiation } = lowered.value;
          const forward = optimizeNet(graph, instantiation);
          write(planGraph(forward, instantiation, { batch, tables: layoutTables(instantiation) }), join(out, net.name.name, targetDecl.name.name, 'forward'), instantiation);
        }
      }
      if (diagnostics.length > 0) return report(diagnostics);
      return EXIT.ok;
    }

    const tasks = curvatureTasks.filter((t) => values.task === undefined || t.name.name === values.task);
    if (tasks.length === 0) throw new UsageError(`${positionals[0]} has no curvature task \`${values.task}\``, this);
    for (const task of tasks) {
      let config: TaskConfig;
      try {
        config = taskConfig(task, values.preset ?? DEFAULT_PRESET);
      } catch (e) {
        if (e instanceof DiagnosticError) { diagnostics.push(...e.diagnostics); continue; }
        throw e;
      }
      const targetSym = lookup(module, config.target);
      if (targetSym === undefined || targetSym.kind !== 'target') continue; // the resolver reported it
      const target = elaborateTarget(targetSym.decl);
      if (!target.ok) { diagnostics.push(...target.diagnostics); continue; }
      for (const model of config.models) {
        const planned = planModel(checked.program, module, config, model, target.value);
        if (!planned.ok) { diagnostics.push(...planned.diagnostics); continue; }
        const { instantiation, forward, trainStep } = planned.value;
        const dir = join(out, config.name, model.net);
        write(forward, join(dir, 'forward'), instantiation);
        write(trainStep, join(dir, 'train_step'), instantiation);
        written++;
      }
    }
    if (diagnostics.length > 0) return report(diagnostics);
    return written > 0 ? EXIT.ok : EXIT.diagnostics;
  },
};

function positiveInt(value: string | undefined, fallback: number, flag: string, command: Command): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`, command);
  return n;
}
