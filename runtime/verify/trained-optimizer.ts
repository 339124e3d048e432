// A meta-trained optimizer's F_ϕ with its parameters, for `gmn verify --params`: the file is
// `<run>/trained/<base>-<optimizer>.json` (runtime/tasks/learned-optimizer/run.ts), holding the
// base task's and the optimizer's labels and φ; F_ϕ is lowered as the run lowered it (the base
// task's target, b = its batch) and ϕ, φ after the rule's scalars, is split into the net's
// parameters in graph order.
import { readFileSync } from 'node:fs';
import type { ResolvedModule, ResolvedProgram } from '../../compiler/resolve/resolve.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { baseTaskLayout, gradientSetSize } from '../tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig, optimizerLabel, type BaseTaskConfig, type LearnedOptimizationConfig, type UpdateNetConfig } from '../tasks/learned-optimizer/config.js';
import { optimizerFor } from '../tasks/learned-optimizer/learned-optimizer.js';
import { TrainedParamsError, type TrainedNet } from './trained.js';

export interface TrainedOptimizerRequest {
  program: ResolvedProgram;
  module: ResolvedModule;
  task: TaskDecl;
  /** The trained/ file. */
  file: string;
  preset: string;
}

/** A trained/ file read and matched to the task: its base task, its `optimizers:` entry and φ (checked against `optimizer`'s size). */
export function readTrainedOptimizer(req: TrainedOptimizerRequest): { config: LearnedOptimizationConfig; base: BaseTaskConfig; entry: UpdateNetConfig; phi: number[] } {
  let saved: { optimizer?: unknown; base?: unknown; phi?: unknown };
  try {
    saved = JSON.parse(readFileSync(req.file, 'utf8')) as typeof saved;
  } catch (e) {
    throw new TrainedParamsError(`cannot read the meta-trained optimizer ${req.file}: ${e instanceof Error ? e.message : String(e)}`,
      'pass a file written by gmn run: <run>/trained/<base task>-<optimizer>.json');
  }
  const config = learnedOptimizationConfig(req.task, req.preset);
  const base = config.baseTasks.find((b) => b.label === saved.base);
  const entry = config.optimizers.find((o) => optimizerLabel(o) === saved.optimizer);
  if (base === undefined || entry === undefined) {
    throw new TrainedParamsError(`${req.file} holds optimizer \`${String(saved.optimizer)}\` on \`${String(saved.base)}\`, which the task's preset \`${req.preset}\` does not train`,
      `pass the preset it was trained with (--preset); this one trains ${config.optimizers.map(optimizerLabel).join(', ')} on ${config.baseTasks.map((b) => b.label).join(', ')}`);
  }
  const phi = saved.phi;
  if (!Array.isArray(phi) || !phi.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new TrainedParamsError(`${req.file} holds no finite meta-parameters φ`, 'the file is damaged; re-run gmn run, which meta-trains it again');
  }
  return { config, base, entry, phi: phi as number[] };
}

export function loadTrainedOptimizer(req: TrainedOptimizerRequest): TrainedNet {
  const { config, base, entry, phi } = readTrainedOptimizer(req);
  const optimizer = optimizerFor(req.program, req.module, entry, gradientSetSize(base, baseTaskLayout(req.module, base)), baseTaskLayout(req.module, base));
  if (optimizer.net === undefined) throw new TrainedParamsError(`${entry.net} is the update rule alone: it has no network to verify`, 'pass a trained F_ϕ (ds_optimizer, unf_gradmetanet, ...)');
  if (phi.length !== optimizer.metaSize) {
    throw new TrainedParamsError(`${req.file} does not hold ${optimizer.metaSize} finite meta-parameters for ${optimizer.label}`, 'the file is damaged; re-run gmn run, which meta-trains it again');
  }
  const net = optimizer.net;
  const params = new Map<string, Float64Array>();
  let offset = optimizer.scalarCount;
  for (const p of net.params) {
    params.set(p.name, Float64Array.from(phi.slice(offset, offset + p.size)));
    offset += p.size;
  }
  return {
    model: optimizer.label, net: entry.net, file: entry.span.file,
    instance: `task ${config.name}, preset ${req.preset}, ${base.label}, params ${req.file}`, preset: req.preset,
    graph: net.graph, inst: net.inst, eqlinears: net.eqlinears, params,
  };
}
