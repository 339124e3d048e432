// Losses as IR, and the training step as one graph: forward → per-example loss → backward.
//
//   per-example loss  ℓ_i = mean over set, site and channels of (pred − target)²   (mse)
//                                                           or |pred − target|   (mae)
//   objective         L = (1/B) Σ_i ℓ_i   over the mini-batch
//
// The IR has no batch size, so the step graph takes the cotangent of ℓ as an input,
// `loss_cotangent` (vector[1] per example), which the executor fills with 1/B: the parameter
// gradients it returns are then exactly ∂L/∂θ.
import { GraphBuilder } from '../ir/graph-builder.js';
import type { AxisName, Graph, ValueId } from '../ir/ops.js';
import type { Instantiation } from '../ir/types.js';
import { buildBackward } from './backward.js';

export type LossKind = 'mse' | 'mae';

/** Names of the extra inputs and outputs of a training-step graph. */
export const STEP_TARGET = 'target';
export const STEP_COTANGENT = 'loss_cotangent';
export const STEP_LOSS = 'loss';

/** ℓ(pred, target) per example: vector[1]. */
export function lossValue(b: GraphBuilder, kind: LossKind, pred: ValueId, target: ValueId): ValueId {
  const diff = b.binary('sub', pred, target);
  const pointwise = b.unary(kind === 'mse' ? 'square' : 'abs', diff);
  const t = b.typeOf(pointwise);
  const axes: AxisName[] = [];
  if (t.set !== null) axes.push('set');
  if (t.site !== null) axes.push('site');
  const pooled = axes.length === 0 ? pointwise : b.reduce('mean', pointwise, axes);
  return t.channels === 1 ? pooled : b.scale(b.channelSum(pooled), 1 / t.channels);
}

export interface TrainingStepGraph {
  graph: Graph;
  /** The param names, in the order of the net's param nodes. */
  params: string[];
}

/**
 * One graph computing the per-example loss (output `loss`) and every parameter's gradient of the
 * batch-mean loss (outputs `grad:<param>`), from the net's inputs, `target` (the net output's
 * type) and `loss_cotangent` (1/B per example).
 */
export function buildTrainingStep(net: Graph, inst: Instantiation, kind: LossKind): TrainingStepGraph {
  const b = new GraphBuilder(`${net.name}.loss`, inst, net);
  const target = b.input(STEP_TARGET, net.nodes[net.output]!.type);
  const loss = lossValue(b, kind, net.output, target);
  const withLoss = b.finish(loss, { declaredBreaks: net.declaredBreaks });
  const backward = buildBackward(withLoss, inst, { cotangent: STEP_COTANGENT });
  const outputs = new Map<string, ValueId>([[STEP_LOSS, loss]]);
  for (const [name, id] of backward.paramGrads) outputs.set(`grad:${name}`, id);
  const graph: Graph = { ...backward.graph, name: `${net.name}.step`, outputs };
  return { graph, params: [...backward.paramGrads.keys()] };
}
