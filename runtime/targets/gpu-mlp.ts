// The batched MLP target on the GPU (float32 WGSL): forward, loss seed, backward and factor
// extraction of a batch, every example with its own θ or one shared θ, recorded as one step (one
// submit, one readback). Same math and layout as the float64 code in mlp.ts, its test oracle.
//
// Buffers (row-major): theta [b or 1, P]; pre, act, g [b, N] (neurons in layout order);
// factors [b, N, 2]. Kernels follow compiler/wgsl/kernel.ts (shapes in uniforms, 1-D grids).
import type { Activation, MlpSpec, TargetLayout } from '../../compiler/spaces/target.js';
import { activationWgsl, TANH } from '../../compiler/wgsl/activation.js';
import { header, linearGrid, linearMain, type Kernel, type UniformField } from '../../compiler/wgsl/kernel.js';
import type { GpuDevice } from '../device/index.js';
import { pipelineOf, record } from '../gpu/launch.js';
import { checkMlpBatch, checkMlpLoss, type MlpBatch, type MlpLoss } from './mlp.js';

export interface GpuMlpResult {
  /** [b, d_L]. */
  outputs: Float32Array;
  /** [b, N, 2]: Γ_b with the boundary convention of docs/grad-format.md. */
  factors: Float32Array;
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

// thetaStride: values per θ (0: one θ for all); perTheta: consecutive examples that share a θ (the
// batch of one PES particle in the learned-optimizer task; 1 here).
const LAYER_UNIFORMS: UniformField[] = [
  u32('count'), u32('rows'), u32('cols'), u32('N'), u32('thetaStride'), u32('perTheta'), u32('wOff'), u32('bOff'),
  u32('inOff'), u32('outOff'), u32('last'), { name: 'omega0', type: 'f32' },
];

/** One invocation per (example e, output neuron p): u = b + W a; a = σ(u), or u on the last layer. */
export function mlpForwardKernel(act: Activation): Kernel {
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'pre', element: 'f32', access: 'read_write' as const },
    { name: 'act', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  let e = i / u.rows;
  let p = i % u.rows;
  let t0 = (e / u.perTheta) * u.thetaStride;
  let w = t0 + u.wOff + p * u.cols;
  let a = e * u.N + u.inOff;
  var s = theta[t0 + u.bOff + p];
  for (var q = 0u; q < u.cols; q++) { s += theta[w + q] * act[a + q]; }
  let o = e * u.N + u.outOff + p;
  pre[o] = s;
  act[o] = select(${activationWgsl(act).value}, s, u.last == 1u);`;
  return {
    name: `mlp_forward_${act.kind}`,
    source: header(LAYER_UNIFORMS, bindings) + TANH + linearMain('u.count', body),
    uniforms: LAYER_UNIFORMS, bindings, workgroup: [64, 1],
  };
}

/**
 * One invocation per (example e, neuron q of layer l): g^l_q = σ'(u^l_q) Σ_p W_{l+1}[p, q] g^{l+1}_p.
 * Here rows/cols are W_{l+1}'s, inOff is layer l's offset and outOff layer l+1's.
 */
export function mlpBackwardKernel(act: Activation): Kernel {
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'pre', element: 'f32', access: 'read' as const },
    { name: 'g', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  let e = i / u.cols;
  let q = i % u.cols;
  let w = (e / u.perTheta) * u.thetaStride + u.wOff + q;
  let up = e * u.N + u.outOff;
  var acc = 0.0;
  for (var p = 0u; p < u.rows; p++) { acc += theta[w + p * u.cols] * g[up + p]; }
  let s = pre[e * u.N + u.inOff + q];
  g[e * u.N + u.inOff + q] = acc * (${activationWgsl(act).derivative});`;
  return {
    name: `mlp_backward_${act.kind}`,
    source: header(LAYER_UNIFORMS, bindings) + TANH + linearMain('u.count', body),
    uniforms: LAYER_UNIFORMS, bindings, workgroup: [64, 1],
  };
}

const SEED_UNIFORMS: UniformField[] = [u32('count'), u32('N'), u32('outOff'), u32('width')];

/** One invocation per example: g^L = ∂ℓ/∂f (output: 1; mse: f − y; cross-entropy: softmax − e_y). */
export function mlpSeedKernel(loss: MlpLoss['kind']): Kernel {
  const bindings = [
    { name: 'act', element: 'f32', access: 'read' as const },
    { name: 'observed', element: loss === 'cross_entropy' ? 'u32' : 'f32', access: 'read' as const },
    { name: 'g', element: 'f32', access: 'read_write' as const },
  ];
  const o = 'i * u.N + u.outOff';
  const body = {
    output: `  g[${o}] = 1.0;`,
    mse: `  for (var k = 0u; k < u.width; k++) { g[${o} + k] = act[${o} + k] - observed[i * u.width + k]; }`,
    cross_entropy: `  var m = act[${o}];
  for (var k = 1u; k < u.width; k++) { m = max(m, act[${o} + k]); }
  var z = 0.0;
  for (var k = 0u; k < u.width; k++) { z += exp(act[${o} + k] - m); }
  for (var k = 0u; k < u.width; k++) {
    g[${o} + k] = exp(act[${o} + k] - m) / z - select(0.0, 1.0, k == observed[i]);
  }`,
  }[loss];
  return {
    name: `mlp_seed_${loss}`,
    source: header(SEED_UNIFORMS, bindings) + linearMain('u.count', body),
    uniforms: SEED_UNIFORMS, bindings, workgroup: [64, 1],
  };
}

const FACTOR_UNIFORMS: UniformField[] = [u32('count'), u32('N'), u32('d0'), u32('outOff')];

/** One invocation per (example, neuron): (a, a) on the input layer, (g, g) on the output, else (a, g). */
export function mlpFactorsKernel(): Kernel {
  const bindings = [
    { name: 'act', element: 'f32', access: 'read' as const },
    { name: 'g', element: 'f32', access: 'read' as const },
    { name: 'factors', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  let j = i % u.N;
  let a = act[i];
  let gv = g[i];
  factors[2u * i] = select(a, gv, j >= u.outOff);
  factors[2u * i + 1u] = select(gv, a, j < u.d0);`;
  return {
    name: 'mlp_factors',
    source: header(FACTOR_UNIFORMS, bindings) + linearMain('u.count', body),
    uniforms: FACTOR_UNIFORMS, bindings, workgroup: [64, 1],
  };
}

/** Γ_b and f(x) of a batch on the GPU, in one submit. Validates the data as the float64 path does. */
export async function gpuMlpGradients(gpu: GpuDevice, layout: TargetLayout, batch: MlpBatch, loss: MlpLoss): Promise<GpuMlpResult> {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: ${layout.name} is not an mlp target`);
  const spec: MlpSpec = layout.spec;
  checkMlpBatch(layout, spec, batch);
  const L = spec.widths.length - 1;
  const dL = spec.widths[L]!;
  checkMlpLoss(loss, batch.count, dL);
  const { count: b } = batch;
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const d0 = spec.widths[0]!;
  const outOff = layout.segments[L]!.offset;
  const omega0 = spec.activation.kind === 'sine' ? spec.activation.omega0 : 1;
  const thetaStride = batch.theta.length === P ? 0 : P;

  const act0 = new Float32Array(b * N);
  for (let e = 0; e < b; e++) for (let j = 0; j < d0; j++) act0[e * N + j] = batch.inputs[e * d0 + j]!;
  const target = loss.kind === 'mse' ? Float32Array.from(loss.targets)
    : loss.kind === 'cross_entropy' ? Uint32Array.from(Array.from({ length: b }, (_, e) => loss.labels[e]!))
    : new Float32Array(1);
  const buffers = {
    theta: gpu.upload(Float32Array.from(batch.theta), 'theta'),
    pre: gpu.upload(new Float32Array(b * N), 'pre'),
    act: gpu.upload(act0, 'act'),
    g: gpu.upload(new Float32Array(b * N), 'g'),
    target: gpu.upload(target, 'target'),
    factors: gpu.scratch(b * N * 2 * 4, 'factors'),
  };
  const kernels = {
    forward: mlpForwardKernel(spec.activation),
    backward: mlpBackwardKernel(spec.activation),
    seed: mlpSeedKernel(loss.kind),
    factors: mlpFactorsKernel(),
  };
  const pipelines = {
    forward: await pipelineOf(gpu, kernels.forward),
    backward: await pipelineOf(gpu, kernels.backward),
    seed: await pipelineOf(gpu, kernels.seed),
    factors: await pipelineOf(gpu, kernels.factors),
  };
  const step = gpu.step();
  const layer = (l: number, count: number) => {
    const W = layout.params[2 * (l - 1)]!;
    return {
      count, rows: W.rows, cols: W.cols!, N, thetaStride, perTheta: 1, wOff: W.offset, bOff: layout.params[2 * (l - 1) + 1]!.offset,
      inOff: layout.segments[l - 1]!.offset, outOff: layout.segments[l]!.offset, last: l === L ? 1 : 0, omega0,
    };
  };
  for (let l = 1; l <= L; l++) {
    record(step, { kernel: kernels.forward, pipeline: pipelines.forward, uniforms: layer(l, b * spec.widths[l]!),
      buffers: [buffers.theta, buffers.pre, buffers.act], workgroups: linearGrid(b * spec.widths[l]!), label: `layer ${l}` });
  }
  record(step, { kernel: kernels.seed, pipeline: pipelines.seed, uniforms: { count: b, N, outOff, width: dL },
    buffers: [buffers.act, buffers.target, buffers.g], workgroups: linearGrid(b) });
  for (let l = L - 1; l >= 1; l--) {
    // W_{l+1} maps layer l to layer l+1: its uniforms are layer(l+1)'s, one invocation per neuron of l.
    record(step, { kernel: kernels.backward, pipeline: pipelines.backward, uniforms: layer(l + 1, b * spec.widths[l]!),
      buffers: [buffers.theta, buffers.pre, buffers.g], workgroups: linearGrid(b * spec.widths[l]!), label: `layer ${l}` });
  }
  record(step, { kernel: kernels.factors, pipeline: pipelines.factors, uniforms: { count: b * N, N, d0, outOff },
    buffers: [buffers.act, buffers.g, buffers.factors], workgroups: linearGrid(b * N) });
  const { data } = await gpu.validated('mlp gradients', () => step.submit([
    { buffer: buffers.act, bytes: b * N * 4 },
    { buffer: buffers.factors, bytes: b * N * 2 * 4 },
  ]));
  for (const buffer of Object.values(buffers)) gpu.pool.release(buffer);
  const act = new Float32Array(data[0]!);
  const outputs = new Float32Array(b * dL);
  for (let e = 0; e < b; e++) outputs.set(act.subarray(e * N + outOff, (e + 1) * N), e * dL);
  return { outputs, factors: new Float32Array(data[1]!) };
}
