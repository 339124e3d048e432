// An image-MLP base task's inner-step target on the device, R runs at once: the drawn examples →
// the MLP forward (layer 1 reads them through the batch index) → loss and output gradient →
// backward → the batch gradient (or Adam's step on θ, fused), and the rank-1 factors Γ_b only for
// a rule that reads them (GradMetaNet). The layers' kernels are targets/gpu-mlp-runs.ts: θ read
// uniformly per workgroup, blocks of neurons per invocation; an L-layer step is 3L + 1 dispatches
// (Adam's included; Γ_b one more), those whose uniforms never change bound once and replayed.
import type { MlpSpec } from '../../../compiler/spaces/target.js';
import type { Kernel } from '../../../compiler/wgsl/kernel.js';
import { linearGrid } from '../../../compiler/wgsl/kernel.js';
import type { BoundDispatch, GpuDevice, Step } from '../../device/index.js';
import { bindLaunch, pipelineOf, record } from '../../gpu/launch.js';
import { mlpFactorsKernel } from '../../targets/gpu-mlp.js';
import {
  MLP_RUNS_TILES, mlpRunsBackwardKernel, mlpRunsForwardKernel, mlpRunsGradGrid, mlpRunsGradKernel, mlpRunsGrid, type MlpRunsShapes,
} from '../../targets/gpu-mlp-runs.js';
import { nllSeedKernel, runLossKernel } from './device-kernels.js';
import type { DeviceTarget, DeviceTaskData, FusedAdam, TargetBuffers } from './device-target.js';
import type { ImageTaskData } from './inner-task.js';

type Buffers = Record<'act' | 'pre' | 'g' | 'labels' | 'exampleLoss', GPUBuffer>;
type Launcher = (step: Step, kernel: Kernel, uniforms: Record<string, number>, buffers: GPUBuffer[], workgroups: [number, number, number]) => void;

export interface MlpTargetOptions {
  /** Write Γ_b every step (a rule with GradMetaNet reads it). */
  factors: boolean;
  tiles?: MlpRunsShapes;
}

export class DeviceMlpTarget implements DeviceTarget {
  readonly items: number;
  readonly fusesAdam = true;
  private readonly spec: MlpSpec;
  private readonly P: number;
  private readonly N: number;
  private readonly buffers: Buffers;
  /** The test-set forward pass (allocated at the first `testLosses`). */
  private test: Record<'act' | 'pre' | 'g' | 'labels' | 'exampleLoss' | 'index' | 'losses', GPUBuffer> | undefined;
  /**
   * The training step's dispatches whose uniforms do not change from step to step, bound at their
   * first use and replayed (by kernel and uniforms): no uniform upload or bind group per step. Their
   * buffers are this target's and the inner runs' (`theta`: the same at every step).
   */
  private readonly bound = new Map<string, { dispatch: BoundDispatch; release(): void }>();
  private boundTheta: GPUBuffer | undefined;
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly gpu: GpuDevice,
    private readonly task: DeviceTaskData,
    private readonly data: ImageTaskData,
    private readonly runs: number,
    private readonly options: MlpTargetOptions & { tiles: MlpRunsShapes },
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
    this.buffers = {
      act: f32(examples * this.N, 'act'), pre: f32(examples * this.N, 'pre'), g: f32(examples * this.N, 'g'),
      labels: f32(examples, 'labels'), exampleLoss: f32(examples, 'example loss'),
    };
  }

  static async create(gpu: GpuDevice, task: DeviceTaskData, runs: number, options: MlpTargetOptions): Promise<DeviceMlpTarget> {
    const data = task.data;
    if (data.kind !== 'image' || data.layout.spec.kind !== 'mlp') throw new Error(`internal: ${data.layout.name} is not an image MLP task`);
    const tiles = options.tiles ?? MLP_RUNS_TILES;
    const kernels = kernelsFor(data.layout.spec.activation, tiles);
    const pipelines = new Map<Kernel, GPUComputePipeline>();
    for (const k of Object.values(kernels)) pipelines.set(k, await pipelineOf(gpu, k));
    return new DeviceMlpTarget(gpu, task, data, runs, { ...options, tiles }, pipelines, kernels);
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  private readonly launch: Launcher = (step, kernel, uniforms, buffers, workgroups) => {
    record(step, { kernel, pipeline: this.pipelines.get(kernel)!, uniforms, buffers, workgroups });
  };

  private readonly replay: Launcher = (step, kernel, uniforms, buffers, workgroups) => {
    const key = `${kernel.name} ${JSON.stringify(uniforms)}`;
    let bound = this.bound.get(key);
    if (bound === undefined) this.bound.set(key, bound = bindLaunch(this.gpu, { kernel, pipeline: this.pipelines.get(kernel)!, uniforms, buffers, workgroups }));
    step.dispatchBound(bound.dispatch);
  };

  record(step: Step, io: TargetBuffers, indexOff: number, steps: number, adam?: FusedAdam): void {
    const { layout } = this.data;
    const spec = this.spec;
    const { N } = this;
    const b = this.items;
    const R = this.runs;
    const k = this.kernels;
    const B = this.buffers;
    const L = spec.widths.length - 1;
    const outOff = layout.segments[L]!.offset;
    this.boundTheta ??= io.theta;
    if (io.theta !== this.boundTheta) throw new Error('internal: an image-MLP target serves one set of inner runs');
    this.forward(step, B, io.theta, io.index, indexOff, b, this.task.buffer('images'), this.task.buffer('labels'), this.replay);
    this.replay(step, k.seed, { count: R * b, N, outOff, width: spec.widths[L]! }, [B.act, B.labels, B.g, B.exampleLoss], linearGrid(R * b));
    this.replay(step, k.runLoss, { count: R, b, scale: 1 / (b * steps) }, [B.exampleLoss, io.losses], linearGrid(R));
    const { tiles } = this.options;
    for (let l = L - 1; l >= 1; l--) this.replay(step, k.backward, this.layer(l + 1, b), [io.theta, B.pre, B.g], mlpRunsGrid(tiles.layers, b, spec.widths[l]!, R));
    for (let l = L; l >= 1; l--) {
      const uniforms = { ...this.layer(l, b), invB: 1 / b };
      const grid = mlpRunsGradGrid(tiles.grad, spec.widths[l]!, spec.widths[l - 1]!, R);
      if (adam === undefined) this.replay(step, k.grad, uniforms, [B.act, B.g, io.grad], grid);
      else {
        const { beta1, beta2, eps, bc1, bc2 } = adam;
        this.launch(step, k.gradAdam, { ...uniforms, beta1, beta2, eps, bc1, bc2 }, [B.act, B.g, adam.lrs, io.theta, adam.m, adam.v], grid);
      }
    }
    if (this.options.factors) {
      const d0 = spec.widths[0]!;
      this.replay(step, k.factors, { count: R * b * N, N, d0, outOff }, [B.act, B.g, io.factors], linearGrid(R * b * N));
    }
  }

  /**
   * Every layer's forward for R runs of `b` examples drawn at index[indexOff …] from `images`;
   * layers after the first through `later` (replayed in training: their uniforms never change).
   */
  private forward(step: Step, B: Pick<Buffers, 'act' | 'pre' | 'labels'>, theta: GPUBuffer, index: GPUBuffer, indexOff: number, b: number, images: GPUBuffer, labels: GPUBuffer, later: Launcher): void {
    const spec = this.spec;
    const { tiles } = this.options;
    const k = this.kernels;
    const L = spec.widths.length - 1;
    this.launch(step, k.input, { ...this.layer(1, b), indexOff }, [images, labels, index, theta, B.pre, B.act, B.labels], mlpRunsGrid(tiles.layers, b, spec.widths[1]!, this.runs));
    for (let l = 2; l <= L; l++) later(step, k.forward, this.layer(l, b), [theta, B.pre, B.act], mlpRunsGrid(tiles.layers, b, spec.widths[l]!, this.runs));
  }

  /** Uniforms of MLP layer l (W_l: layer l − 1 → l), `b` examples per run; the backward of layer l − 1 takes layer l's. */
  private layer(l: number, b: number): Record<string, number> {
    const { layout } = this.data;
    const L = layout.segments.length - 1;
    const W = layout.params[2 * (l - 1)]!;
    const omega0 = this.spec.activation.kind === 'sine' ? this.spec.activation.omega0 : 1;
    return { b, rows: W.rows, cols: W.cols!, N: this.N, P: this.P, wOff: W.offset, bOff: layout.params[2 * (l - 1) + 1]!.offset,
      inOff: layout.segments[l - 1]!.offset, outOff: layout.segments[l]!.offset, last: l === L ? 1 : 0, omega0 };
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
    const zeros = new Float32Array(R);
    this.gpu.device.queue.writeBuffer(B.losses, 0, zeros.buffer, 0, zeros.byteLength);
    const step = this.gpu.step();
    this.forward(step, B, theta, B.index, 0, n, this.task.buffer('testImages'), this.task.buffer('testLabels'), this.launch);
    this.launch(step, k.seed, { count: examples, N, outOff: layout.segments[L]!.offset, width: spec.widths[L]! }, [B.act, B.labels, B.g, B.exampleLoss], linearGrid(examples));
    this.launch(step, k.runLoss, { count: R, b: n, scale: 1 / n }, [B.exampleLoss, B.losses], linearGrid(R));
    const { data } = await this.gpu.validated('learned-optimizer test loss', () => step.submit([{ buffer: B.losses, bytes: R * 4 }]));
    return Float64Array.from(new Float32Array(data[0]!));
  }

  release(): void {
    for (const b of this.bound.values()) b.release();
    for (const b of this.owned) this.gpu.pool.release(b);
  }
}

function kernelsFor(activation: MlpSpec['activation'], { layers, grad }: MlpRunsShapes) {
  return {
    input: mlpRunsForwardKernel(activation, layers, true), forward: mlpRunsForwardKernel(activation, layers, false), seed: nllSeedKernel(), runLoss: runLossKernel(),
    backward: mlpRunsBackwardKernel(activation, layers), grad: mlpRunsGradKernel(grad, false), gradAdam: mlpRunsGradKernel(grad, true), factors: mlpFactorsKernel(),
  };
}
