// A net with the parameters of a training checkpoint, instantiated exactly as the file's task trains
// it (runtime/tasks/curvature.ts): the task's target, its set size (`data.points` after the preset),
// and the model's arguments from `models:`. A learned-optimization task's meta-trained optimizers
// are files, not folders: trained-optimizer.ts.
//
// Which model: a checkpoint folder is named `<model>-n<size>-s<seed>.ckpt` by the run directory
// (runtime/tasks/run-directory.ts), `<model>` being the model's label — the net's name, or
// `name#k` (written `name_k`) when the task trains the same net several times; `--net` names it
// explicitly. Which preset: the one recorded in the run directory's config.json when the folder sits
// in one (`<run>/trained/` or `<run>/checkpoints/`), else the one asked for, else `default`.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DiagnosticError, error } from '../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { lowerNet, type Lowered } from '../../compiler/ir/lower.js';
import { HintedError } from '../util/hinted-error.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { lookup, type ResolvedModule, type ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../compiler/spaces/elaborate.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { fileLabel } from '../tasks/run-directory.js';
import { modelSetSize } from '../tasks/model-set-size.js';
import { DEFAULT_PRESET, modelLabel, taskConfig, type ModelConfig } from '../tasks/task-config.js';
import { inrEditingConfig } from '../tasks/inr-editing/config.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { loadTrainedOptimizer } from './trained-optimizer.js';

/** A checkpoint that cannot be used (unreadable, or no model of the task matches it). */
export class TrainedParamsError extends HintedError {}

export interface TrainedNet {
  /** The model's label in the task (`gradmetanet`, `gradmetanet#2`). */
  model: string;
  net: string;
  file: string;
  /** Where the instantiation and the parameters came from, for output. */
  instance: string;
  /** The preset the net was instantiated with. */
  preset: string;
  graph: Graph;
  inst: Instantiation;
  /** Every eqlinear with its basis (what the certificate lists). */
  eqlinears: Lowered['eqlinears'];
  params: Map<string, Float64Array>;
}

export interface TrainedRequest {
  program: ResolvedProgram;
  module: ResolvedModule;
  task: TaskDecl;
  /** The checkpoint folder (holding checkpoint.json and tensors.f64). */
  dir: string;
  /** The model's label or net name; default: read from the folder's name. */
  net?: string;
  /** Default: the preset of the enclosing run directory, else `default`. */
  preset?: string;
  /** The set size to instantiate the net at (default: the one it was trained at); `gmn predict` reads sets of any size. */
  setSize?: number;
}

export function loadTrainedNet(req: TrainedRequest): TrainedNet {
  const preset = req.preset ?? recordedPreset(req.dir) ?? DEFAULT_PRESET;
  if (taskKind(req.task.fields)?.name === 'learned_optimization') {
    return loadTrainedOptimizer({ program: req.program, module: req.module, task: req.task, file: req.dir, preset });
  }
  const inrEditing = taskKind(req.task.fields)?.name === 'inr_editing';
  // An INR-editing task trains its editors on Γ_points sets; a curvature task on data.points.
  const config: { name: string; target: string; models: ModelConfig[]; data: { points: number } } = inrEditing ? inrEditingConfig(req.task, preset) : taskConfig(req.task, preset);
  const models = config.models.map((m, i) => ({ label: modelLabel(config.models, i), config: m }));
  const model = inrEditing ? pickEditor(models, req.dir, req.net) : pickModel(models, req.dir, req.net);
  const sym = lookup(req.module, config.target);
  if (sym?.kind !== 'target') {
    throw new DiagnosticError([error('verify/unknown-target', `\`${config.target}\` is not a target declared in this file`, req.task.name.span)]);
  }
  const target = elaborateTarget(sym.decl);
  if (!target.ok) throw new DiagnosticError(target.diagnostics);
  const setSize = req.setSize === undefined ? modelSetSize(req.module, model.config, config.data.points, target.value) : { ok: true as const, value: req.setSize };
  if (!setSize.ok) throw new DiagnosticError(setSize.diagnostics);
  const lowered = lowerNet({
    program: req.program, module: req.module, net: model.config.net, args: model.config.args, target: target.value, setSize: setSize.value,
  });
  if (!lowered.ok) throw new DiagnosticError(lowered.diagnostics);
  const params = readParams(req.dir);
  checkParams(lowered.value.graph, params, model.label, model.config, req.dir);
  return {
    model: model.label,
    net: model.config.net,
    file: model.config.span.file,
    instance: `task ${config.name}, preset ${preset}, params ${req.dir}`,
    preset,
    graph: lowered.value.graph,
    inst: lowered.value.instantiation,
    eqlinears: lowered.value.eqlinears,
    params,
  };
}


interface LabelledModel {
  label: string;
  config: ModelConfig;
}

/**
 * An INR editor's folder is `<edit>_<model>_lr<lr>-n<size>-s<seed>.ckpt` and holds editor.json
 * (written by runtime/tasks/inr-editing/train.ts) naming its model.
 */
function pickEditor(models: LabelledModel[], dir: string, net: string | undefined): LabelledModel {
  if (net !== undefined) return pickModel(models, dir, net);
  const info = join(dir, 'editor.json');
  let label: unknown;
  try {
    label = existsSync(info) ? (JSON.parse(readFileSync(info, 'utf8')) as { model?: unknown }).model : undefined;
  } catch {
    label = undefined;
  }
  const name = basename(dir.replace(/[/\\]+$/, ''));
  const found = models.find((m) => m.label === label)
    ?? models.filter((m) => name.includes(`_${fileLabel(m.label)}_lr`)).sort((a, b) => b.label.length - a.label.length)[0];
  if (found === undefined) {
    throw new TrainedParamsError(`cannot tell which editor of the task ${dir} holds: no editor.json names a model of the task`,
      `pass --net with one of: ${models.map((m) => m.label).join(', ')}`);
  }
  return found;
}

function pickModel(models: LabelledModel[], dir: string, net: string | undefined): LabelledModel {
  const labels = models.map((m) => m.label).join(', ');
  if (net !== undefined) {
    const byLabel = models.find((m) => m.label === net || fileLabel(m.label) === net);
    if (byLabel !== undefined) return byLabel;
    const byNet = models.filter((m) => m.config.net === net);
    if (byNet.length === 1) return byNet[0]!;
    throw new TrainedParamsError(
      byNet.length === 0 ? `the task trains no model \`${net}\`` : `the task trains \`${net}\` ${byNet.length} times`,
      `pass --net with one of: ${labels}`,
    );
  }
  const name = /^(.+)-n\d+-s\d+\.ckpt$/.exec(basename(dir.replace(/[/\\]+$/, '')))?.[1];
  const found = name === undefined ? undefined : models.find((m) => fileLabel(m.label) === name);
  if (found === undefined) {
    throw new TrainedParamsError(
      `cannot tell which model of the task ${dir} holds: its name is not <model>-n<size>-s<seed>.ckpt for a model of the task`,
      `pass --net with one of: ${labels}`,
    );
  }
  return found;
}

/** `<run>/config.json`'s preset when `dir` is `<run>/trained/X` or `<run>/checkpoints/X`. */
function recordedPreset(dir: string): string | undefined {
  const configFile = join(dirname(dirname(dir.replace(/[/\\]+$/, ''))), 'config.json');
  if (!existsSync(configFile)) return undefined;
  try {
    const recorded = JSON.parse(readFileSync(configFile, 'utf8')) as { config?: { preset?: unknown } };
    return typeof recorded.config?.preset === 'string' ? recorded.config.preset : undefined;
  } catch {
    return undefined;
  }
}

function readParams(dir: string): Map<string, Float64Array> {
  if (!existsSync(join(dir, 'checkpoint.json'))) {
    throw new TrainedParamsError(`${dir} is not a checkpoint folder: it has no checkpoint.json`,
      'pass a folder written by gmn run: <run>/trained/<model>-n<size>-s<seed>.ckpt or <run>/checkpoints/...');
  }
  try {
    return loadCheckpoint(dir).state.params;
  } catch (e) {
    throw new TrainedParamsError(`cannot read the checkpoint in ${dir}: ${e instanceof Error ? e.message : String(e)}`,
      'the folder is damaged; re-run the training (gmn run) that wrote it');
  }
}

/** Every param of the net present with its size, and nothing else: else one diagnostic per problem. */
function checkParams(graph: Graph, params: ReadonlyMap<string, Float64Array>, label: string, model: ModelConfig, dir: string): void {
  const problems: string[] = [];
  const expected = new Map<string, readonly number[]>();
  for (const node of graph.nodes) if (node.op.op === 'param') expected.set(node.op.name, node.op.shape);
  for (const [name, shape] of expected) {
    const got = params.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (got === undefined) problems.push(`parameter \`${name}\` (shape [${shape.join(', ')}]) is missing from the checkpoint`);
    else if (got.length !== size) {
      problems.push(`parameter \`${name}\`: the net expects shape [${shape.join(', ')}] (${size} values), the checkpoint holds shape [${got.length}] (${got.length} values)`);
    } else if (got.some((v) => !Number.isFinite(v))) problems.push(`parameter \`${name}\` holds non-finite values in the checkpoint`);
  }
  for (const [name, values] of params) {
    if (!expected.has(name)) problems.push(`the checkpoint holds parameter \`${name}\` (shape [${values.length}]), which the net does not have`);
  }
  if (problems.length === 0) return;
  throw new DiagnosticError(problems.map((p) => error('verify/params-mismatch', `${label}: ${p}`, model.span,
    `${dir} was not trained for this model as the file declares it now (another model, preset or argument?)`)));
}
