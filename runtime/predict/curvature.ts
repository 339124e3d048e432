// `gmn predict`'s work: a curvature model trained by `gmn run` applied to a user's own MLP.
//
// The trained checkpoint (<run>/trained/<model>-n<size>-s<seed>.ckpt) was trained on normalised
// inputs and labels whose statistics come from its training set (runtime/data/normalisation.ts);
// they are not stored, so they are recomputed from the task's dataset, which the data cache holds
// (or regenerates: it depends only on the task). The user's samples give Γ_b of ∇_θ f at those
// points, exactly as the task's data does (runtime/data/curvature.ts), stored in float32 as the
// task's data is; the net sees them standardised, and its output goes back to raw label units.
// Beside it, the standard estimator on the same samples: the mean of the squared per-example
// gradients (with the label's transform: summed for a trace, times θ² for the OBD saliency).
import type { ResolvedModule, ResolvedProgram } from '../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import {
  batchInputs, denormaliseLabels, fitNormalisation, labelWidth, splitCurvatureData, trainingSubset,
  type CurvatureData, type Normalisation,
} from '../data/index.js';
import { hasScalarOutput } from '../data/labels.js';
import { loadTaskData } from '../data/task-data.js';
import { mlpGradients, mlpPerExampleGradients } from '../targets/mlp.js';
import type { LabelKind } from '../tasks/task-config.js';
import { DEFAULT_PRESET, taskConfig } from '../tasks/task-config.js';
import { recordedPreset } from '../tasks/recorded-run.js';
import type { ReadTensor } from '../export/safetensors-read.js';
import { thetaFromStateDict } from './state-dict.js';
import { taskTarget } from '../tasks/task-target.js';
import { referenceExecutor } from '../train/reference-executor.js';
import { HintedError } from '../util/hinted-error.js';
import { loadTrainedNet } from '../verify/trained.js';

export interface CurvaturePredictRequest {
  program: ResolvedProgram;
  module: ResolvedModule;
  /** The curvature task that trained the checkpoint. */
  task: TaskDecl;
  /** The checkpoint folder, <run>/trained/<model>-n<size>-s<seed>.ckpt. */
  checkpoint: string;
  /** The preset it was trained with (default: the one its run directory records). */
  preset?: string;
  /** The user's network's weights in state_dict naming (state-dict.ts), and the file they came from. */
  weights: ReadonlyMap<string, ReadTensor>;
  weightsFile: string;
  /** The samples the gradients are taken at, [b, d_0] (or [b] for one input), and their file. */
  samples: ReadTensor;
  samplesFile: string;
  /** The curvature dataset cache (default: .cache/gmn/curvature under the working directory). */
  dataCache?: string;
}

export interface CurvaturePrediction {
  /** The model's label in the task, and what the prediction is of. */
  model: string;
  label: LabelKind;
  target: TargetLayout;
  /** The set size the model was trained on, and the one given. */
  trainedSetSize: number;
  setSize: number;
  /** The model's estimate and the standard estimator's, in raw label units ([P], or [1] for a trace). */
  predicted: Float64Array;
  estimator: Float64Array;
}

export async function predictCurvature(req: CurvaturePredictRequest): Promise<CurvaturePrediction> {
  const preset = req.preset ?? recordedPreset(req.checkpoint) ?? DEFAULT_PRESET;
  const config = taskConfig(req.task, preset);
  const target = taskTarget(req.module, req.task, config.target);
  if (!hasScalarOutput(target)) {
    throw new HintedError(`target ${target.name} has ${target.segments.at(-1)!.size} outputs; the curvature task's Fisher is of a scalar output`, 'use a task whose target ends in one output');
  }
  const theta = thetaFromStateDict(target, req.weights, req.weightsFile);
  const { inputs, count } = samplesOf(req.samples, req.samplesFile, target);
  const trained = loadTrainedNet({ program: req.program, module: req.module, task: req.task, dir: req.checkpoint, setSize: count, preset });
  const grads = mlpGradients(target, { count, inputs, theta }, { kind: 'output' });
  const width = labelWidth(target, config.label);
  const one: CurvatureData = {
    layout: target, config: { ...config.data, points: count }, label: config.label, models: 1, points: count, itemsPerExample: 1, labelWidth: width,
    theta: Float32Array.from(theta), mixture: Float32Array.of(Number.NaN), grads: Float32Array.from(grads.factors), labels: new Float32Array(width),
  };
  const inputNames = [...trained.graph.inputs.keys()];
  const hasParams = trained.params.size > 0;
  const norm = hasParams ? trainingNormalisation(req, target, config, trained.model, inputNames) : null;
  const executor = await referenceExecutor(
    { net: trained.graph, inst: trained.inst, loss: config.loss, optimizer: { kind: 'sgd', lr: 0, momentum: 0, weightDecay: 0 } },
    { params: trained.params, optimizer: { slots: new Map() }, step: 0 },
  );
  const output = Float64Array.from((await executor.forward(batchInputs({ name: 'test', data: one, start: 0, count: 1 }, [0], inputNames, norm))).data);
  executor.dispose();
  return {
    model: trained.model, label: config.label, target, trainedSetSize: config.data.points, setSize: count,
    predicted: norm === null ? output : denormaliseLabels(norm, output),
    estimator: standardEstimator(target, config.label, theta, grads, count),
  };
}

/** The samples as [b, d_0]; any other shape, or a non-finite value, is refused naming the file. */
function samplesOf({ shape, values }: ReadTensor, file: string, target: TargetLayout): { inputs: Float64Array; count: number } {
  const d0 = target.segments[0]!.size;
  const fits = (shape.length === 2 && shape[1] === d0) || (shape.length === 1 && d0 === 1);
  if (!fits || shape[0]! < 1) {
    throw new HintedError(`${file} has shape [${shape.join(', ')}], but target ${target.name} reads samples of shape [b, ${d0}]${d0 === 1 ? ' (or [b])' : ''}`,
      'save the input samples one row per sample: numpy.save(path, x) with x of shape (b, d_0)');
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new HintedError(`${file}: sample ${Math.floor(bad / d0)} holds ${values[bad]}`, 'the samples must be finite numbers');
  return { inputs: values, count: shape[0]! };
}

/** The statistics the checkpoint was trained with: those of the first n training examples of the task's data. */
function trainingNormalisation(req: CurvaturePredictRequest, target: TargetLayout, config: ReturnType<typeof taskConfig>, model: string, inputs: string[]): Normalisation {
  const match = /-n(\d+)-s\d+\.ckpt$/.exec(req.checkpoint.replace(/[/\\]+$/, ''));
  if (match === null) {
    throw new HintedError(`cannot tell the training-set size of ${req.checkpoint} (${model}): its name is not <model>-n<size>-s<seed>.ckpt`,
      'pass the checkpoint folder as gmn run wrote it, under <run>/trained/');
  }
  const { data } = loadTaskData(target, config.data, config.label, req.dataCache === undefined ? {} : { root: req.dataCache });
  const splits = splitCurvatureData(data, config.splits, config.trainSizes);
  return fitNormalisation(trainingSubset(splits.train, Number(match[1])), inputs);
}

/** The mean over the samples of the squared per-example gradients, transformed as the label is. */
export function standardEstimator(target: TargetLayout, label: LabelKind, theta: Float64Array, grads: ReturnType<typeof mlpGradients>, count: number): Float64Array {
  const P = target.paramCount;
  const perExample = mlpPerExampleGradients(target, grads);
  const diagonal = new Float64Array(P);
  for (let i = 0; i < count; i++) for (let p = 0; p < P; p++) diagonal[p] += perExample[i * P + p]! ** 2 / count;
  switch (label) {
    case 'fisher_diag':
    case 'empirical_fisher_diag': return diagonal;
    case 'fisher_trace': return Float64Array.of(diagonal.reduce((a, b) => a + b, 0));
    case 'obd_saliency': return diagonal.map((f, p) => theta[p]! * theta[p]! * f);
  }
}
