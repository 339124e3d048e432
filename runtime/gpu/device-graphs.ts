// The graphs a net runs as on the device: the optimisation stage's net pass first
// (compiler/optimize/passes.ts), then autodiff on the optimised net, so the backward pass is
// derived from — and as cheap as — the optimised forward one. The planner then applies the step
// pass to each. `WebGpuExecutor`, `gmn compile` and `gmn bench` all go through here.
import { buildTrainingStep, STEP_LOSS, type TrainingStepGraph } from '../../compiler/autodiff/index.js';
import type { LossKind } from '../../compiler/autodiff/index.js';
import type { Graph, ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';

export interface DeviceGraphs {
  /** The optimised net (its forward pass). */
  forward: Graph;
  /** Forward → loss → backward of the optimised net. */
  step: TrainingStepGraph;
}

export function deviceGraphs(net: Graph, inst: Instantiation, loss: LossKind): DeviceGraphs {
  const forward = optimizeNet(net, inst);
  return { forward, step: buildTrainingStep(forward, inst, loss) };
}

/** The values a training step reads back or updates from: the loss, then each parameter's gradient. */
export function stepOutputs(step: TrainingStepGraph): ValueId[] {
  const outputs = step.graph.outputs ?? new Map<string, ValueId>();
  const loss = outputs.get(STEP_LOSS);
  if (loss === undefined) throw new Error('internal: training-step graph without a loss output');
  return [loss, ...step.params.map((name) => {
    const grad = outputs.get(`grad:${name}`);
    if (grad === undefined) throw new Error(`internal: no gradient for ${name}`);
    return grad;
  })];
}
