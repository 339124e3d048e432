// An image-MLP base task's inner-step target on the device, R runs at once: the drawn examples into
// layer 0 → the MLP forward (targets/gpu-mlp.ts, θ per run) → loss and output gradient → backward →
// the rank-1 factors Γ_b → the batch gradient (device-kernels.ts).
import { incidence } from '../../../compiler/spaces/tables.js';
import type { MlpSpec } from '../../../compiler/spaces/target.js';
import type { Kernel } from '../../../compiler/wgsl/kernel.js';
import { linearGrid } from '../../../compiler/wgsl/kernel.js';
import type { GpuDevice, Step } from '../../device/index.js';
import { pipelineOf, record } from '../../gpu/launch.js';
import { mlpBackwardKernel, mlpFactorsKernel, mlpForwardKernel } from '../../targets/gpu-mlp.js';
import { batchGradKernel, batchInputKernel, nllSeedKernel, runLossKernel } from './device-kernels.js';
import type { DeviceTarget, DeviceTaskData, TargetBuffers } from './device-target.js';
import type { ImageTaskData } from './inner-task.js';

type Buffers = Record<'act' | 'pre' | 'g' | 'labels' | 'exampleLoss' | 'rows' | 'cols', GPUBuffer>;

export class DeviceMlpTarget implements DeviceTarget {
  readonly items: number;
  private readonly spec: MlpSpec;
  private readonly P: number;
  private readonly N: number;
  private readonly buffers: Buffers;
  /** The test-set forward pass (allocated at the first `testLosses`). */
  private test: Record<'act' | 'pre' | 'g' | 'labels' | 'exampleLoss' | 'index' | 'losses', GPUBuffer> | undefined;
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly gpu: GpuDevice,
    private readonly task: DeviceTaskData,
    private readonly data: ImageTaskData,
    private readonly runs: number,
    private readonly pipelines: Map<Kernel, GPUComputePipeline>,
    private readonly kernels: ReturnType<typeof kernelsFor>,
  ) {
    const { layout, batch } = data;
    if (layout.spec.kind !== 'mlp') throw new Error(`internal: ${layout.name} is not an MLP`);
    this.spec = layout.spec;
    this.P = layout.paramCount;
    this.N = layout.neuronCount;
    this.items = batch;
    const examples = runs * batch;
    const f32 = (n: number, label: string) => this.own(gpu.scratch(n * 4, label));
    const { rows, cols } = incidence(layout);
    this.buffers = {
      act: f32(examples * this.N, 'act'), pre: f32(examples * this.N, 'pre'), g: f32(examples * this.N, 'g'),
      labels: f32(examples, 'labels'), exampleLoss: f32(examples, 'example loss'),
      rows: this.own(gpu.upload(rows, 'incidence rows')), cols: this.own(gpu.upload(cols, 'incidence cols')),
    };
  }

  static async create(gpu: GpuDevice, task: DeviceTaskData, runs: number): Promise<DeviceMlpTarget> {
    const data = task.data;
    if (data.kind !== 'image' || data.layout.spec.kind !== 'mlp') throw new Error(`internal: ${data.layout.name} is not an image MLP task`);
    const kernels = kernelsFor(data.layout.spec.activation);
    const pipelines = new Map<Kernel, GPUComputePipeline>();
    for (const k of Object.values(kernels)) pipelines.set(k, await pipelineOf(gpu, k));
    return new DeviceMlpTarget(gpu, task, data, runs, pipelines, kernels);
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  private launch(step: Step, kernel: Kernel, uniforms: Record<string, number>, buffers: GPUBuffer[], count: number): void {
    record(step, { kernel, pipeline: this.pipelines.get(kernel)!, uniforms, buffers, workgroups: linearGrid(count) });
  }

  record(step: Step, io: TargetBuffers, indexOff: number, steps: number): void {
    const { layout } = this.data;
    const spec = this.spec;
    const { P, N } = this;
    const b = this.items;
    const R = this.runs;
    const k = this.kernels;
    const B = this.buffers;
    const examples = R * b;
    const L = spec.widths.length - 1;
    const d0 = spec.widths[0]!;
    const outOff = layout.segments[L]!.offset;
    this.launch(step, k.input, { count: examples * d0, d0, N, indexOff }, [this.task.buffer('images'), this.task.buffer('labels'), io.index, B.act, B.labels], examples * d0);
    const layer = this.layerUniforms(b);
    for (let l = 1; l <= L; l++) this.launch(step, k.forward, layer(l, examples * spec.widths[l]!), [io.theta, B.pre, B.act], examples * spec.widths[l]!);
    this.launch(step, k.seed, { count: examples, N, outOff, width: spec.widths[L]! }, [B.act, B.labels, B.g, B.exampleLoss], examples);
    this.launch(step, k.runLoss, { count: R, b, scale: 1 / (b * steps) }, [B.exampleLoss, io.losses], R);
    for (let l = L - 1; l >= 1; l--) this.launch(step, k.backward, layer(l + 1, examples * spec.widths[l]!), [io.theta, B.pre, B.g], examples * spec.widths[l]!);
    this.launch(step, k.factors, { count: examples * N, N, d0, outOff }, [B.act, B.g, io.factors], examples * N);
    this.launch(step, k.grad, { count: R * P, P, N, b, invB: 1 / b }, [io.factors, B.rows, B.cols, io.grad], R * P);
  }

  /** Uniforms of MLP layer l's forward (and, with l + 1, backward) kernel, `perTheta` examples per run. */
  private layerUniforms(perTheta: number): (l: number, count: number) => Record<string, number> {
    const { layout } = this.data;
    const L = layout.segments.length - 1;
    return (l, count) => {
      const W = layout.params[2 * (l - 1)]!;
      return { count, rows: W.rows, cols: W.cols!, N: this.N, thetaStride: this.P, perTheta, wOff: W.offset, bOff: layout.params[2 * (l - 1) + 1]!.offset,
        inOff: layout.segments[l - 1]!.offset, outOff: layout.segments[l]!.offset, last: l === L ? 1 : 0, omega0: 1 };
    };
  }

  /** Each run's mean NLL on the task's test examples (testLoss in float64). */
  async testLosses(theta: GPUBuffer): Promise<Float64Array> {
    const { layout, test: set } = this.data;
    const spec = this.spec;
    const R = this.runs;
    const n = set.count;
    const examples = R * n;
    const N = this.N;
    if (this.test === undefined) {
      const f32 = (count: number, label: string) => this.own(this.gpu.scratch(count * 4, label));
      this.test = {
        act: f32(examples * N, 'test act'), pre: f32(examples * N, 'test pre'), g: f32(examples * N, 'test g'), labels: f32(examples, 'test labels'),
        exampleLoss: f32(examples, 'test example loss'), losses: f32(R, 'test losses'),
        index: this.own(this.gpu.upload(Uint32Array.from({ length: examples }, (_, e) => e % n), 'test index')),
      };
    }
    const B = this.test;
    const k = this.kernels;
    const L = spec.widths.length - 1;
    const d0 = spec.widths[0]!;
    const layer = this.layerUniforms(n);
    const zeros = new Float32Array(R);
    this.gpu.device.queue.writeBuffer(B.losses, 0, zeros.buffer, 0, zeros.byteLength);
    const step = this.gpu.step();
    this.launch(step, k.input, { count: examples * d0, d0, N, indexOff: 0 }, [this.task.buffer('testImages'), this.task.buffer('testLabels'), B.index, B.act, B.labels], examples * d0);
    for (let l = 1; l <= L; l++) this.launch(step, k.forward, layer(l, examples * spec.widths[l]!), [theta, B.pre, B.act], examples * spec.widths[l]!);
    this.launch(step, k.seed, { count: examples, N, outOff: layout.segments[L]!.offset, width: spec.widths[L]! }, [B.act, B.labels, B.g, B.exampleLoss], examples);
    this.launch(step, k.runLoss, { count: R, b: n, scale: 1 / n }, [B.exampleLoss, B.losses], R);
    const { data } = await this.gpu.validated('learned-optimizer test loss', () => step.submit([{ buffer: B.losses, bytes: R * 4 }]));
    return Float64Array.from(new Float32Array(data[0]!));
  }

  release(): void {
    for (const b of this.owned) this.gpu.pool.release(b);
  }
}

function kernelsFor(activation: Parameters<typeof mlpForwardKernel>[0]) {
  return {
    input: batchInputKernel(), forward: mlpForwardKernel(activation), seed: nllSeedKernel(), runLoss: runLossKernel(),
    backward: mlpBackwardKernel(activation), factors: mlpFactorsKernel(), grad: batchGradKernel(),
  };
}
