// Many parameter sets fitted at once: thousands of small networks (INRs, PES particles), each its
// own θ, trained together by one loss graph. The graph has an input `theta` (one set per batch
// element) and, per element, a scalar loss; a step runs the loss, its θ-gradient and an AdamW
// update of all sets, with θ and the optimizer moments kept on the device. Since Adam acts entry
// by entry, one flat update over [sets, P] is each set's own Adam. Many steps go in one submit
// (`stepsPerSubmit`), the graph's dispatches bound once and replayed; nothing is read back
// inside a submit, only at progress reports and at the end.
//
// `fitParamSetsReference` runs the same loop in float64 on the reference executor (the oracle).
import { buildBackward } from '../../compiler/autodiff/index.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { shapeOf, type Instantiation } from '../../compiler/ir/types.js';
import { linearGrid } from '../../compiler/wgsl/kernel.js';
import { adamKernel } from '../../compiler/wgsl/optimizers.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import type { GpuDevice } from '../device/index.js';
import { layoutTables } from '../gpu/index.js';
import { bindPlan, pipelineOf, record } from '../gpu/launch.js';
import { planBuffers } from '../gpu/plan-buffers.js';
import { executeGraph, tensor, type Tensor } from '../reference/index.js';
import { optimizerUpdate, type OptimizerConfig } from '../train/optimizers.js';

export interface ParamSetProblem {
  /** Output: each batch element's loss (vector[1]); input `theta`: the sets; other inputs: data. */
  loss: Graph;
  inst: Instantiation;
  /** Number of sets (the batch). */
  count: number;
  /** The data inputs, [count, ...shape] row-major each, fixed while fitting. */
  data: ReadonlyMap<string, Float32Array>;
}

export interface FitOptions {
  steps: number;
  optimizer: Extract<OptimizerConfig, { kind: 'adam' | 'adamw' }>;
  /** Called every `every` steps with the mean loss over sets (reads the losses back). */
  progress?: { every: number; report: (step: number, meanLoss: number) => void };
  /** Steps recorded into one submit (default STEPS_PER_SUBMIT); a report ends a submit early. */
  stepsPerSubmit?: number;
}

/** Steps per submit: a submit and its wait cost ~0.2 ms on lavapipe, a step of 64 INRs tens of ms. */
export const STEPS_PER_SUBMIT = 16;

export interface FitResult {
  /** [count, P]: the fitted sets. */
  theta: Float32Array;
  /** [count]: each set's loss at the final θ. */
  losses: Float32Array;
}

/** Fits every set from `theta0` ([count, P]) on the device; returns θ and the final losses. */
export async function fitParamSets(gpu: GpuDevice, problem: ParamSetProblem, theta0: Float32Array, options: FitOptions): Promise<FitResult> {
  const { loss, inst, count } = problem;
  const backward = buildBackward(loss, inst, { inputs: ['theta'] });
  const lossId = loss.output;
  const gradId = backward.inputGrads.get('theta')!;
  const plan = planGraph(backward.graph, inst, { batch: count, tables: layoutTables(inst), outputs: [lossId, gradId] });
  const pipelines = await Promise.all(plan.kernels.map((k) => pipelineOf(gpu, k)));
  const buffers = planBuffers(gpu, plan);
  const inputs = new Map([...problem.data, ['theta', theta0], ['cotangent', new Float32Array(count).fill(1)]]);
  for (const [name, id] of plan.inputs) {
    const data = inputs.get(name);
    if (data === undefined) throw new Error(`internal: no data for input ${name}`);
    if (data.byteLength !== plan.buffers[id]!.bytes) throw new Error(`internal: input ${name} has ${data.length} values, expected ${plan.buffers[id]!.bytes / 4}`);
    gpu.device.queue.writeBuffer(buffers[id]!, 0, data.buffer, data.byteOffset, data.byteLength);
  }
  const theta = buffers[plan.inputs.get('theta')!]!;
  const moments = [gpu.upload(new Float32Array(theta0.length), 'adam m'), gpu.upload(new Float32Array(theta0.length), 'adam v')];
  const adam = adamKernel();
  const adamPipeline = await pipelineOf(gpu, adam);
  const { optimizer: opt } = options;
  const lossBuffer = { buffer: buffers[plan.values.get(lossId)!]!, bytes: count * 4 };
  const bound = bindPlan(gpu, plan, pipelines, buffers);
  const perSubmit = options.stepsPerSubmit ?? STEPS_PER_SUBMIT;
  if (!Number.isInteger(perSubmit) || perSubmit < 1) throw new Error(`internal: stepsPerSubmit must be a positive integer, got ${perSubmit}`);
  try {
    // Step `step` runs the graph at θ after `step` updates, then (unless it is the last) the update.
    for (let step = 0; ; step++) {
      const s = gpu.step();
      let last = false;
      let report = false;
      for (let recorded = 1; ; recorded++, step++) {
        last = step === options.steps;
        report = options.progress !== undefined && step > 0 && step % options.progress.every === 0;
        for (const b of bound) s.dispatchBound(b.dispatch);
        if (!last) {
          const t = step + 1;
          const uniforms = { count: theta0.length, decoupled: opt.kind === 'adamw' ? 1 : 0, lr: opt.lr, beta1: opt.beta1, beta2: opt.beta2, eps: opt.eps, wd: opt.weightDecay, bc1: 1 - opt.beta1 ** t, bc2: 1 - opt.beta2 ** t };
          record(s, { kernel: adam, pipeline: adamPipeline, uniforms, buffers: [buffers[plan.values.get(gradId)!]!, theta, moments[0]!, moments[1]!], workgroups: linearGrid(theta0.length), label: 'param sets' });
        }
        // The loss buffer keeps this step's losses (the update does not touch it) until read.
        if (last || report || recorded === perSubmit) break;
      }
      const { data } = await gpu.validated('param-set fit', () => s.submit(last ? [lossBuffer, { buffer: theta, bytes: theta0.byteLength }] : report ? [lossBuffer] : []));
      if (report) options.progress!.report(step, mean(new Float32Array(data[0]!)));
      if (last) return { losses: new Float32Array(data[0]!), theta: new Float32Array(data[1]!) };
    }
  } finally {
    for (const b of bound) b.release();
    for (const b of [...buffers, ...moments]) gpu.pool.release(b);
  }
}

/** The same fit in float64 on the reference executor. */
export function fitParamSetsReference(problem: ParamSetProblem, theta0: Float32Array, options: FitOptions): { theta: Float64Array; losses: Float64Array } {
  const { loss, inst, count } = problem;
  const backward = buildBackward(loss, inst, { inputs: ['theta'] });
  const shaped = (name: string, data: ArrayLike<number>): Tensor => tensor([count, ...shapeOf(loss.nodes[loss.inputs.get(name)!]!.type, inst)], data);
  const data = new Map([...problem.data].map(([name, d]) => [name, shaped(name, d)]));
  const theta = Float64Array.from(theta0);
  const slots = [new Float64Array(theta.length), new Float64Array(theta.length)];
  const ones = tensor([count, 1], new Float64Array(count).fill(1));
  for (let step = 0; step < options.steps; step++) {
    const run = executeGraph(backward.graph, inst, new Map([...data, ['theta', shaped('theta', theta)], ['cotangent', ones]]), new Map());
    optimizerUpdate(options.optimizer, theta, run.outputs.get('input_grad:theta')!.data, slots, step);
  }
  const losses = executeGraph(loss, inst, new Map([...data, ['theta', shaped('theta', theta)]]), new Map()).output.data;
  return { theta, losses };
}

function mean(xs: Float32Array): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
