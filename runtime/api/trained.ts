// Trained models as a library: a checkpoint written by `gmn run` loaded with the net it trained,
// run forward on a batch, or (a curvature model) applied to your own MLP as `gmn predict` does.
// Which .gmn file and task trained a checkpoint: as given, else what its run directory recorded.
import { existsSync } from 'node:fs';
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { taskKind } from '../../compiler/resolve/task-schema.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { shapeOf } from '../../compiler/ir/types.js';
import type { ReadTensor } from '../export/safetensors-read.js';
import { predictCurvature, type CurvaturePrediction } from '../predict/curvature.js';
import { readStateDict } from '../predict/state-dict.js';
import { tensor, type Tensor } from '../reference/tensor.js';
import { readNpyTensor } from '../targets/npy.js';
import { recordedRun } from '../tasks/recorded-run.js';
import { referenceExecutor } from '../train/reference-executor.js';
import { HintedError } from '../util/hinted-error.js';
import { loadTrainedNet } from '../verify/trained.js';
import { check, type CheckResult } from './check.js';

export type { CurvaturePrediction, ReadTensor, Tensor };

export interface CheckpointOptions {
  /** A checkpoint folder, <run>/trained/<model>-n<size>-s<seed>.ckpt. */
  checkpoint: string;
  /** The .gmn file whose task trained it (default: the one its run directory records). */
  file?: string;
  /** Which task of that file (default: the recorded one, or the file's only task). */
  task?: string;
  /** The preset it was trained with (default: the recorded one). */
  preset?: string;
}

export interface TrainedModel {
  /** The model's label in its task (`gradmetanet`), and its net. */
  model: string;
  net: string;
  /** The net's inputs in the order forward reads them, each with its shape per example. */
  inputs: { name: string; shape: number[] }[];
  params: Map<string, Float64Array>;
  /** The net's output on a batch: each input with a leading batch axis (float64, row-major). */
  forward(inputs: ReadonlyMap<string, Tensor> | Record<string, Tensor>): Promise<Tensor>;
}

/** A checked .gmn program and the task that trained `checkpoint`. */
export function checkpointTask(options: CheckpointOptions): { checked: CheckResult & { ok: boolean }; task: TaskDecl } {
  const recorded = recordedRun(options.checkpoint);
  const file = options.file ?? recorded?.file;
  if (file === undefined) throw new HintedError(`cannot tell which .gmn file trained ${options.checkpoint}: there is no run directory config.json around it`, 'pass the file (gmn: --file SPEC.gmn)');
  if (!existsSync(file)) throw new HintedError(`the .gmn file ${file} that trained ${options.checkpoint} is not there`, 'pass the file (gmn: --file SPEC.gmn)');
  const checked = check(file);
  if (!checked.ok) throw new DiagnosticError(checked.diagnostics.filter((d) => d.severity === 'error'));
  const tasks = [...checked.program.roots[0]!.symbols.tasks.values()];
  const name = options.task ?? recorded?.task ?? (tasks.length === 1 ? tasks[0]!.name.name : undefined);
  const task = tasks.find((t) => t.name.name === name);
  if (task === undefined) throw new HintedError(`${file} has no task \`${name ?? '?'}\` to tell how ${options.checkpoint} was trained`, `pick one of ${tasks.map((t) => t.name.name).join(', ') || '(none)'} (gmn: --task)`);
  return { checked, task };
}

/** A trained net with its parameters, run by the float64 reference executor. */
export async function loadTrainedModel(options: CheckpointOptions & { setSize?: number }): Promise<TrainedModel> {
  const { checked, task } = checkpointTask(options);
  const trained = loadTrainedNet({
    program: checked.program, module: checked.program.roots[0]!, task, dir: options.checkpoint,
    ...(options.preset === undefined ? {} : { preset: options.preset }), ...(options.setSize === undefined ? {} : { setSize: options.setSize }),
  });
  const executor = await referenceExecutor(
    { net: trained.graph, inst: trained.inst, loss: 'mse', optimizer: { kind: 'sgd', lr: 0, momentum: 0, weightDecay: 0 } },
    { params: trained.params, optimizer: { slots: new Map() }, step: 0 },
  );
  const inputs = [...trained.graph.inputs].map(([name, id]) => ({ name, shape: shapeOf(trained.graph.nodes.find((n) => n.id === id)!.type, trained.inst) }));
  return {
    model: trained.model, net: trained.net, inputs, params: trained.params,
    forward: (batch) => executor.forward(batch instanceof Map ? batch : new Map(Object.entries(batch))),
  };
}

export interface PredictOptions extends CheckpointOptions {
  /** Your MLP's weights in state_dict naming: a .safetensors file, a folder of <name>.npy, or the tensors. */
  weights: string | ReadonlyMap<string, ReadTensor>;
  /** The input samples, [b, d_0]: a .npy file or the values. */
  samples: string | ReadTensor;
  /** The curvature data cache holding the task's dataset (default .cache/gmn/curvature). */
  dataCache?: string;
}

/** A curvature model's estimate for your MLP beside the standard estimator's (`gmn predict`). */
export async function predict(options: PredictOptions): Promise<CurvaturePrediction> {
  const { checked, task } = checkpointTask(options);
  const kind = taskKind(task.fields)?.name;
  if (kind === 'learned_optimization' || kind === 'inr_editing') {
    throw new HintedError(`task \`${task.name.name}\` is not a curvature task; predict applies curvature models`, kind === 'inr_editing' ? 'use gmn edit for INR editors' : 'use gmn optimize for learned optimizers');
  }
  return predictCurvature({
    program: checked.program, module: checked.program.roots[0]!, task, checkpoint: options.checkpoint,
    weights: typeof options.weights === 'string' ? readStateDict(options.weights) : options.weights,
    weightsFile: typeof options.weights === 'string' ? options.weights : 'the weights given',
    samples: typeof options.samples === 'string' ? readNpyTensor(options.samples) : options.samples,
    samplesFile: typeof options.samples === 'string' ? options.samples : 'the samples given',
    ...(options.preset === undefined ? {} : { preset: options.preset }), ...(options.dataCache === undefined ? {} : { dataCache: options.dataCache }),
  });
}

/** A batch tensor from nested shapes and values, for `forward`. */
export function batchTensor(shape: number[], values: ArrayLike<number>): Tensor {
  return tensor(shape, values);
}
