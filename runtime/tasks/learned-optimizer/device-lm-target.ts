// The language-model base task's inner-step target on the device, R runs at once: the drawn windows
// into token ids and targets (device-kernels.ts) → the transformer's forward, per-sequence NLL,
// backward and per-token factors Γ (targets/gpu-transformer.ts, θ per run) → the batch gradient.
// The gradient is the float64 task's: the mean per-sequence gradient ÷ seq, i.e. the sum over the
// run's tokens of the factors' products ÷ (batch · seq) through the incidence tables (weights and
// biases, the embeddings through their one-hot columns; weight sharing over positions is that sum),
// except the LayerNorm gains, Σ g ⊙ x̂, which are no product of a and g and get their own kernel.
// The transformer's ~130 dispatches are the same every step: they are bound once (at the first step)
// and replayed (the LM's Adam step on lavapipe: 51 → 31 ms).
import { incidence } from '../../../compiler/spaces/tables.js';
import type { Kernel } from '../../../compiler/wgsl/kernel.js';
import { linearGrid } from '../../../compiler/wgsl/kernel.js';
import type { BoundDispatch, GpuDevice, Step } from '../../device/index.js';
import { bindLaunch, pipelineOf, record, type Launch } from '../../gpu/launch.js';
import { GpuTransformer, into } from '../../targets/gpu-transformer.js';
import { batchGradKernel, runLossKernel, windowsKernel } from './device-kernels.js';
import type { DeviceTarget, DeviceTaskData, TargetBuffers } from './device-target.js';
import type { TextTaskData } from './inner-task.js';

const KERNELS = { windows: windowsKernel(), runLoss: runLossKernel(), grad: batchGradKernel() };

type TestPass = { net: GpuTransformer; buffers: Record<'ids' | 'targets' | 'work' | 'sequenceLosses' | 'losses', GPUBuffer> };

export class DeviceLmTarget implements DeviceTarget {
  readonly items: number;
  readonly fusesAdam = false;
  private readonly T: number;
  private readonly buffers: Record<'ids' | 'targets' | 'work' | 'sequenceLosses' | 'rows' | 'cols', GPUBuffer>;
  /** The transformer's forward, backward and gain-gradient dispatches over the inner runs' buffers, bound at the first step. */
  private bound: { theta: GPUBuffer; forward: BoundDispatch[]; backward: BoundDispatch[]; release(): void } | undefined;
  /** The test windows' forward pass (built at the first `testLosses`). */
  private test: TestPass | undefined;
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly gpu: GpuDevice,
    private readonly task: DeviceTaskData,
    private readonly data: TextTaskData,
    private readonly runs: number,
    private readonly net: GpuTransformer,
    private readonly pipelines: Map<Kernel, GPUComputePipeline>,
  ) {
    this.T = net.shape.length;
    this.items = data.batch * this.T;
    const rows = runs * this.items;
    const { rows: incRows, cols } = incidence(data.layout);
    this.buffers = {
      ids: this.scratch(rows, 'token ids'), targets: this.scratch(rows, 'targets'), work: this.scratch(net.workSize, 'transformer work'),
      sequenceLosses: this.scratch(runs * data.batch, 'sequence losses'),
      rows: this.own(gpu.upload(incRows, 'incidence rows')), cols: this.own(gpu.upload(cols, 'incidence cols')),
    };
  }

  static async create(gpu: GpuDevice, task: DeviceTaskData, runs: number): Promise<DeviceLmTarget> {
    const data = task.data;
    if (data.kind !== 'text' || data.layout.spec.kind !== 'transformer') throw new Error(`internal: ${data.layout.name} is not a language-model task`);
    const net = await GpuTransformer.create(gpu, data.layout, { runs, sequences: data.batch, length: data.layout.spec.seq });
    const pipelines = new Map<Kernel, GPUComputePipeline>();
    for (const k of Object.values(KERNELS)) pipelines.set(k, await pipelineOf(gpu, k));
    return new DeviceLmTarget(gpu, task, data, runs, net, pipelines);
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  /** 4-byte entries (f32 or u32). */
  private scratch(n: number, label: string): GPUBuffer {
    return this.own(this.gpu.scratch(n * 4, label));
  }

  private launch(step: Step, kernel: Kernel, uniforms: Record<string, number>, buffers: GPUBuffer[], count: number): void {
    record(step, { kernel, pipeline: this.pipelines.get(kernel)!, uniforms: { count, ...uniforms }, buffers, workgroups: linearGrid(count) });
  }

  record(step: Step, io: TargetBuffers, indexOff: number, steps: number): void {
    const { T, items } = this;
    const R = this.runs;
    const B = this.buffers;
    const { batch } = this.data;
    const bound = this.bind(io);
    this.launch(step, KERNELS.windows, { T, indexOff }, [this.task.buffer('text'), io.index, B.ids, B.targets], R * items);
    for (const d of bound.forward) step.dispatchBound(d);
    this.launch(step, KERNELS.runLoss, { b: batch, scale: 1 / (items * steps) }, [B.sequenceLosses, io.losses], R);
    for (const d of bound.backward) step.dispatchBound(d);
  }

  /** The bound dispatches over `io` (the inner runs' buffers, the same at every step). */
  private bind(io: TargetBuffers): NonNullable<DeviceLmTarget['bound']> {
    if (this.bound !== undefined) {
      if (this.bound.theta !== io.theta) throw new Error('internal: a language-model target serves one set of inner runs');
      return this.bound;
    }
    const B = this.buffers;
    const { items } = this;
    const P = this.data.layout.paramCount;
    const N = this.data.layout.neuronCount;
    const net = { theta: io.theta, ids: B.ids, targets: B.targets, work: B.work, losses: B.sequenceLosses, factors: io.factors };
    const forward: Launch[] = [];
    const backward: Launch[] = [];
    this.net.recordForward((l) => forward.push(l), net);
    this.net.recordBackward((l) => backward.push(l), net);
    const grad = KERNELS.grad;
    const count = this.runs * P;
    backward.push({ kernel: grad, pipeline: this.pipelines.get(grad)!, uniforms: { count, P, N, b: items, invB: 1 / items }, buffers: [io.factors, B.rows, B.cols, io.grad], workgroups: linearGrid(count) });
    this.net.recordGainGradients((l) => backward.push(l), B.work, io.grad, 1 / items);
    const bind = (launches: Launch[]) => launches.map((l) => bindLaunch(this.gpu, l));
    const [f, b] = [bind(forward), bind(backward)];
    this.bound = { theta: io.theta, forward: f.map((x) => x.dispatch), backward: b.map((x) => x.dispatch), release: () => [...f, ...b].forEach((x) => x.release()) };
    return this.bound;
  }

  /** Each run's mean NLL per token on the test windows (testLoss in float64). */
  async testLosses(theta: GPUBuffer): Promise<Float64Array> {
    const R = this.runs;
    const { count } = this.data.test;
    const test = this.test ??= await this.testPass();
    const zeros = new Float32Array(R);
    this.gpu.device.queue.writeBuffer(test.buffers.losses, 0, zeros.buffer, 0, zeros.byteLength);
    const step = this.gpu.step();
    test.net.recordForward(into(step), { ...test.buffers, theta, losses: test.buffers.sequenceLosses });
    this.launch(step, KERNELS.runLoss, { b: count, scale: 1 / (count * this.T) }, [test.buffers.sequenceLosses, test.buffers.losses], R);
    const { data } = await this.gpu.validated('learned-optimizer test loss', () => step.submit([{ buffer: test.buffers.losses, bytes: R * 4 }]));
    return Float64Array.from(new Float32Array(data[0]!));
  }

  private async testPass(): Promise<TestPass> {
    const R = this.runs;
    const { tokens, targets, count } = this.data.test;
    const net = await GpuTransformer.create(this.gpu, this.data.layout, { runs: R, sequences: count, length: this.T });
    const every = (a: Uint8Array) => Uint32Array.from({ length: R * a.length }, (_, i) => a[i % a.length]!);
    return {
      net,
      buffers: {
        ids: this.own(this.gpu.upload(every(tokens), 'test ids')), targets: this.own(this.gpu.upload(every(targets), 'test targets')),
        work: this.scratch(net.workSize, 'test work'), sequenceLosses: this.scratch(R * count, 'test sequence losses'), losses: this.scratch(R, 'test losses'),
      },
    };
  }

  release(): void {
    this.bound?.release();
    for (const b of this.owned) this.gpu.pool.release(b);
  }
}
