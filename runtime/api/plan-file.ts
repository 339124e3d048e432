// What `gmn compile` plans for a checked file, as data: for each model of each curvature task, its
// forward pass and training step planned into WGSL kernels as the WebGPU executor runs them; for a
// file without such tasks, the forward pass of each net for each target. The CLI writes the plans
// to disk (emit.ts), the browser playground shows their kernels; neither touches files here.
import { DiagnosticError, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { lowerNet } from '../../compiler/ir/lower.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { lookup, type ResolvedModule, type ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import { elaborateTarget } from '../../compiler/spaces/elaborate.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { planGraph, type Plan } from '../../compiler/wgsl/plan.js';
import { deviceGraphs, stepOutputs } from '../gpu/device-graphs.js';
import { layoutTables } from '../gpu/tables.js';
import { modelSetSize } from '../tasks/model-set-size.js';
import { DEFAULT_PRESET, taskConfig, type ModelConfig, type TaskConfig } from '../tasks/task-config.js';

/** One model's forward pass and one-graph training step (forward, loss, backward), planned. */
export interface PlannedModel {
  instantiation: Instantiation;
  forward: Plan;
  trainStep: Plan;
}

/** One model of a task lowered for the task's target and set size, and planned as the WebGPU executor runs it. */
export function planModel(program: ResolvedProgram, module: ResolvedModule, config: TaskConfig, model: ModelConfig, target: TargetLayout):
  { ok: true; value: PlannedModel } | { ok: false; diagnostics: Diagnostic[] } {
  const setSize = modelSetSize(module, model, config.data.points, target);
  if (!setSize.ok) return setSize;
  const lowered = lowerNet({ program, module, net: model.net, args: model.args, target, setSize: setSize.value });
  if (!lowered.ok) return lowered;
  const { graph, instantiation } = lowered.value;
  const { forward, step } = deviceGraphs(graph, instantiation, config.loss);
  const tables = layoutTables(instantiation);
  return {
    ok: true,
    value: {
      instantiation,
      forward: planGraph(forward, instantiation, { batch: config.batch, tables }),
      trainStep: planGraph(step.graph, instantiation, { batch: config.batch, tables, outputs: stepOutputs(step) }),
    },
  };
}

export interface FilePlan {
  /** Where `gmn compile` writes it under --out: `[task, net, forward|train_step]` or `[net, target, forward]`. */
  path: string[];
  plan: Plan;
  instantiation: Instantiation;
}

/** Sizes for the nets of a file without tasks (a task brings its own): `gmn compile`'s defaults. */
export const DEFAULT_SET_SIZE = 16;
export const DEFAULT_BATCH = 32;

export interface FilePlanOptions {
  /** Only this curvature task. */
  task?: string;
  preset?: string;
  /** Gradients per set and examples per batch, for a file without tasks (a task brings its own). */
  setSize: number;
  batch: number;
}

/**
 * Every plan `gmn compile` writes for the file, and the diagnostics of models that could not be
 * planned; `problem` when there is nothing to compile at all (no task or net to name).
 */
export function planFile(program: ResolvedProgram, module: ResolvedModule, options: FilePlanOptions):
  { ok: true; plans: FilePlan[]; diagnostics: Diagnostic[] } | { ok: false; problem: string } {
  const plans: FilePlan[] = [];
  const diagnostics: Diagnostic[] = [];
  // Only curvature tasks train nets of the file with a loss; a file with none compiles its nets' forward passes.
  const curvatureTasks = [...module.symbols.tasks.values()].filter((t) => taskKind(t.fields)?.name === 'curvature');
  if (curvatureTasks.length === 0 && options.task === undefined) {
    const targets = [...module.symbols.targets.values()];
    const nets = [...module.symbols.nets.values()];
    if (targets.length === 0 || nets.length === 0) return { ok: false, problem: `${module.file} declares no task, and no net and target to compile one for` };
    for (const targetDecl of targets) {
      const target = elaborateTarget(targetDecl);
      if (!target.ok) { diagnostics.push(...target.diagnostics); continue; }
      for (const net of nets) {
        const lowered = lowerNet({ program, module, net: net.name.name, args: new Map(), target: target.value, setSize: options.setSize });
        if (!lowered.ok) { diagnostics.push(...lowered.diagnostics); continue; }
        const { graph, instantiation } = lowered.value;
        const forward = optimizeNet(graph, instantiation);
        const plan = planGraph(forward, instantiation, { batch: options.batch, tables: layoutTables(instantiation) });
        plans.push({ path: [net.name.name, targetDecl.name.name, 'forward'], plan, instantiation });
      }
    }
    return { ok: true, plans, diagnostics };
  }

  const tasks = curvatureTasks.filter((t) => options.task === undefined || t.name.name === options.task);
  if (tasks.length === 0) return { ok: false, problem: `${module.file} has no curvature task \`${options.task}\`` };
  for (const task of tasks) {
    let config: TaskConfig;
    try {
      config = taskConfig(task, options.preset ?? DEFAULT_PRESET);
    } catch (e) {
      if (e instanceof DiagnosticError) { diagnostics.push(...e.diagnostics); continue; }
      throw e;
    }
    const targetSym = lookup(module, config.target);
    if (targetSym === undefined || targetSym.kind !== 'target') continue; // the resolver reported it
    const target = elaborateTarget(targetSym.decl);
    if (!target.ok) { diagnostics.push(...target.diagnostics); continue; }
    for (const model of config.models) {
      const planned = planModel(program, module, config, model, target.value);
      if (!planned.ok) { diagnostics.push(...planned.diagnostics); continue; }
      const { instantiation, forward, trainStep } = planned.value;
      plans.push({ path: [config.name, model.net, 'forward'], plan: forward, instantiation });
      plans.push({ path: [config.name, model.net, 'train_step'], plan: trainStep, instantiation });
    }
  }
  return { ok: true, plans, diagnostics };
}
