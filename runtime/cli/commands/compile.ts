// `gmn compile FILE --out DIR`: lowers every model of every task in FILE (for the task's target,
// set size and batch) and writes, per model, what the WebGPU executor runs — the forward pass and
// the training step, each after the optimisation stage — as kernels, dispatch plan and IR:
//   DIR/<task>/<net>/{forward,train_step}/<kernel>.wgsl   one file per distinct kernel
//   DIR/<task>/<net>/{forward,train_step}/plan.json       buffers, dispatches (kernel, uniforms, bindings, workgroups)
//   DIR/<task>/<net>/{forward,train_step}/graph.ir        the optimised graph the dispatches compute
// See docs/runtime.md for how to read them.
import { join } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { DiagnosticError, type Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { lowerNet } from '../../../compiler/ir/lower.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import { writePlan } from '../../../compiler/wgsl/emit.js';
import { planGraph } from '../../../compiler/wgsl/plan.js';
import { deviceGraphs, stepOutputs } from '../../gpu/device-graphs.js';
import { layoutTables } from '../../gpu/tables.js';
import { DEFAULT_PRESET, taskConfig, type TaskConfig } from '../../tasks/task-config.js';
import { lookup } from '../../../compiler/resolve/resolve.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const compileCommand: Command = {
  name: 'compile',
  summary: 'write the WGSL kernels and dispatch plan of every model of a task',
  usage: [
    'usage: gmn compile FILE --out DIR [--task NAME] [--preset NAME]',
    '',
    'For each task in FILE (or only --task NAME) and each of its models, lowers the net for the',
    'task\'s target, set size (data points) and batch, optimises and plans its forward pass and its',
    'training step (forward, loss, backward) as the WebGPU executor runs them, and writes',
    '  DIR/<task>/<net>/forward/ and DIR/<task>/<net>/train_step/, each with one <kernel>.wgsl',
    '  per kernel, plan.json (buffers, dispatches) and graph.ir (the optimised IR they compute)',
    '',
    'options:',
    '  --out DIR       output folder (created if missing)',
    '  --task NAME     compile only this task',
    `  --preset NAME   the task preset whose sizes to use (default: ${DEFAULT_PRESET})`,
    '',
    'exit codes: 0 ok, 1 the file has errors, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      out: { type: 'string' },
      task: { type: 'string' },
      preset: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one FILE', this);
    if (values.out === undefined) throw new UsageError('--out DIR is required', this);
    const checked = checkFiles(positionals);
    const report = (diagnostics: Diagnostic[]): number => {
      process.stderr.write(renderDiagnostics(diagnostics, checked.sources));
      return EXIT.diagnostics;
    };
    if (checked.diagnostics.some((d) => d.severity === 'error')) return report(checked.diagnostics);
    const module = checked.program.roots[0]!;
    const tasks = [...module.symbols.tasks.values()].filter((t) => values.task === undefined || t.name.name === values.task);
    if (tasks.length === 0) {
      throw new UsageError(values.task === undefined ? `${positionals[0]} declares no task` : `${positionals[0]} has no task \`${values.task}\``, this);
    }
    const diagnostics: Diagnostic[] = [];
    let written = 0;
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
        const lowered = lowerNet({ program: checked.program, module, net: model.net, args: model.args, target: target.value, setSize: config.data.points });
        if (!lowered.ok) { diagnostics.push(...lowered.diagnostics); continue; }
        const { graph, instantiation } = lowered.value;
        const { forward, step } = deviceGraphs(graph, instantiation, config.loss);
        const tables = layoutTables(instantiation);
        const plans = {
          forward: planGraph(forward, instantiation, { batch: config.batch, tables }),
          train_step: planGraph(step.graph, instantiation, { batch: config.batch, tables, outputs: stepOutputs(step) }),
        };
        for (const [part, plan] of Object.entries(plans)) {
          const dir = join(values.out, config.name, model.net, part);
          writePlan(plan, dir, instantiation);
          process.stdout.write(`${dir}: ${plan.kernels.length} kernels, ${plan.dispatches.length} dispatches, ${plan.buffers.length} buffers\n`);
        }
        written++;
      }
    }
    if (diagnostics.length > 0) return report(diagnostics);
    return written > 0 ? EXIT.ok : EXIT.diagnostics;
  },
};
