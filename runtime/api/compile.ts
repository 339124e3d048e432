// Compiling a task's models as a library: for each model, its forward pass and training step planned
// into WGSL kernels as the WebGPU executor runs them (`gmn compile`; writePlan writes one to disk).
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import type { Plan } from '../../compiler/wgsl/plan.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import { DEFAULT_PRESET, taskConfig } from '../tasks/task-config.js';
import { taskTarget } from '../tasks/task-target.js';
import { HintedError } from '../util/hinted-error.js';
import { check, type CheckResult } from './check.js';
import { planModel } from './plan-file.js';

export { planModel };

export type { Plan };

export interface CompiledModel {
  task: string;
  /** The net's name. */
  net: string;
  instantiation: Instantiation;
  /** The forward pass and the one-graph training step (forward, loss, backward), planned. */
  forward: Plan;
  trainStep: Plan;
}

/** Every model of a curvature-protocol task of `file`, planned for the preset's target, set size and batch. */
export function compileTask(file: string | (CheckResult & { ok: boolean }), options: { task?: string; preset?: string } = {}): CompiledModel[] {
  const checked = typeof file === 'string' ? check(file) : file;
  if (!checked.ok) throw new DiagnosticError(checked.diagnostics.filter((d) => d.severity === 'error'));
  const module = checked.program.roots[0]!;
  const tasks = [...module.symbols.tasks.values()].filter((t) => taskKind(t.fields)?.name === 'curvature' && (options.task === undefined || t.name.name === options.task));
  if (tasks.length === 0) throw new HintedError(`${module.file} has no task${options.task === undefined ? '' : ` \`${options.task}\``} to compile`, 'compileTask plans curvature-protocol tasks: name one of them');
  return tasks.flatMap((task) => {
    const config = taskConfig(task, options.preset ?? DEFAULT_PRESET);
    const target = taskTarget(module, task, config.target);
    return config.models.map((model): CompiledModel => {
      const planned = planModel(checked.program, module, config, model, target);
      if (!planned.ok) throw new DiagnosticError(planned.diagnostics);
      return { task: config.name, net: model.net, ...planned.value };
    });
  });
}
