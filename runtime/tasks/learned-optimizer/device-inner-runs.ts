// R inner runs of a base task trained together on the device: every run has its own θ and optimizer
// state (a PES particle, or one evaluation run) and its own batches; one dispatch series per inner
// step serves all of them. θ, the momenta and the slot EMAs stay on the device between steps; the
// host writes the runs' states once (`load`) and reads them back once (`finish`).
//
// One inner step: the base network's part (device-target.ts: an image MLP, device-mlp-target.ts, or
// the transformer LM, device-lm-target.ts) gives every run's loss, Γ_b and batch gradient; then the
// rule: Adam with a rate per run, or the learned rule (momenta, the 19 features, the gradient sets,
// F_ϕ with each run's ϕ: device-update-net.ts, the update). Kernels: device-kernels.ts.
import type { Kernel } from '../../../compiler/wgsl/kernel.js';
import { linearGrid } from '../../../compiler/wgsl/kernel.js';
import type { GpuDevice, Step } from '../../device/index.js';
import type { MlpRunsShapes } from '../../targets/gpu-mlp-runs.js';
import { pipelineOf, record } from '../../gpu/launch.js';
import { adamRunsKernel, featuresKernel, gradSetsKernel, momentumKernel, rmsKernel, updateKernel } from './device-kernels.js';
import { DeviceLmTarget } from './device-lm-target.js';
import { DeviceMlpTarget } from './device-mlp-target.js';
import type { DeviceTarget, DeviceTaskData, TargetBuffers } from './device-target.js';
import { DeviceUpdateNet } from './device-update-net.js';
import { MOMENTUM_DECAYS, NORMALISED_CHANNELS, paramTensors } from './features.js';
import type { LearnedOptimizer } from './learned-optimizer.js';
import { ruleValues, type RuleState } from './update-rule.js';

/** Adam's constants (the learning rate is per run). */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  eps: number;
}

export type DeviceRule = { kind: 'learned'; optimizer: LearnedOptimizer } | { kind: 'adam'; adam: AdamConstants };

const MOMENTA = MOMENTUM_DECAYS.length;
/**
 * Inner steps recorded into one submit: a whole PES truncation of the paper (50 steps) waits for
 * the device once (each wait costs ~0.2 ms on lavapipe, and the device idles while the host records
 * the next group); UNF + GradMetaNet's ~140 dispatches per step keep a submit under ~9,000.
 */
const STEPS_PER_SUBMIT = 64;

type Buffers = Omit<TargetBuffers, 'index'>;

export class DeviceInnerRuns {
  private readonly P: number;
  private readonly N: number;
  /** Γ items per run (examples, or tokens). */
  private readonly b: number;
  private readonly buffers: Buffers;
  /** Learned rule: v, the six momenta, (α, μ, 1 − μ, β) per run, each run's step count, the RMS scales, tensor tables, slot EMAs. */
  private readonly learned: Record<string, GPUBuffer> = {};
  /** Adam: the moments and each run's rate. */
  private readonly adam: Record<string, GPUBuffer> = {};
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    private readonly gpu: GpuDevice,
    private readonly task: DeviceTaskData,
    private readonly target: DeviceTarget,
    readonly rule: DeviceRule,
    readonly runs: number,
    private readonly net: DeviceUpdateNet | undefined,
    private readonly pipelines: Map<Kernel, GPUComputePipeline>,
  ) {
    const { layout } = task.data;
    this.P = layout.paramCount;
    this.N = layout.neuronCount;
    this.b = target.items;
    const R = runs;
    const f32 = (n: number, label: string) => this.own(gpu.scratch(n * 4, label));
    this.buffers = {
      factors: f32(R * this.b * this.N * 2, 'factors'), theta: f32(R * this.P, 'theta'), grad: f32(R * this.P, 'grad'), losses: f32(R, 'losses'),
    };
    if (rule.kind === 'adam') {
      this.adam.m = f32(R * this.P, 'adam m');
      this.adam.v = f32(R * this.P, 'adam v');
      this.adam.lrs = f32(R, 'adam lrs');
      return;
    }
    const tensors = paramTensors(layout.params);
    const tensorOf = new Uint32Array(this.P);
    tensors.forEach((t, k) => tensorOf.fill(k, t.offset, t.offset + t.size));
    this.learned.mom = f32(R * this.P, 'momentum');
    this.learned.moms = f32(R * MOMENTA * this.P, 'feature momenta');
    this.learned.rule = f32(R * 4, 'rule');
    this.learned.steps = f32(R, 'steps');
    this.learned.scales = f32(R * tensors.length * NORMALISED_CHANNELS, 'rms scales');
    this.learned.tensors = this.own(gpu.upload(Uint32Array.from(tensors.flatMap((t) => [t.offset, t.size])), 'tensors'));
    this.learned.tensorOf = this.own(gpu.upload(tensorOf, 'tensor of'));
    if (net?.gradSets !== undefined) this.learned.emas = f32(R * MOMENTA * this.b * this.N * 2, 'slot emas');
  }

  /** `tiles`: the image MLP's kernel tiles (default: the measured MLP_RUNS_TILES). */
  static async create(gpu: GpuDevice, task: DeviceTaskData, rule: DeviceRule, runs: number, tiles?: MlpRunsShapes): Promise<DeviceInnerRuns> {
    const factors = rule.kind === 'learned' && rule.optimizer.net?.gradsInput !== undefined;
    const target = task.data.kind === 'image' ? await DeviceMlpTarget.create(gpu, task, runs, { factors, tiles }) : await DeviceLmTarget.create(gpu, task, runs);
    const pipelines = new Map<Kernel, GPUComputePipeline>();
    for (const k of Object.values(KERNELS)) pipelines.set(k, await pipelineOf(gpu, k));
    const updateNet = rule.kind === 'learned' && rule.optimizer.net !== undefined ? await DeviceUpdateNet.create(gpu, rule.optimizer.net, runs) : undefined;
    return new DeviceInnerRuns(gpu, task, target, rule, runs, updateNet, pipelines);
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  private write(buffer: GPUBuffer, data: Float32Array | Uint32Array): void {
    this.gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Every run's state and meta-parameters φ (rows of `metas`) for the learned rule; the losses restart at 0. */
  loadLearned(states: readonly RuleState[], metas: readonly Float64Array[]): void {
    if (this.rule.kind !== 'learned') throw new Error('internal: loadLearned on Adam runs');
    const optimizer = this.rule.optimizer;
    this.checkRuns(states.length);
    const R = this.runs;
    const P = this.P;
    const theta = new Float32Array(R * P);
    const mom = new Float32Array(R * P);
    const moms = new Float32Array(R * MOMENTA * P);
    const rule = new Float32Array(R * 4);
    const steps = new Uint32Array(R);
    const items = this.b * this.N * 2;
    const emas = this.learned.emas === undefined ? undefined : new Float32Array(R * MOMENTA * items);
    states.forEach((s, r) => {
      theta.set(s.theta, r * P);
      mom.set(s.momentum, r * P);
      s.momenta.forEach((m, k) => moms.set(m, (r * MOMENTA + k) * P));
      const { alpha, mu, beta } = ruleValues(optimizer.scalars(metas[r]!));
      // 1 − μ as the float64 rule computes it (exp of the stored log), not 1 − f32(μ).
      rule.set([alpha, mu, Math.exp(metas[r]![1]!), optimizer.net === undefined ? 0 : beta], r * 4);
      steps[r] = s.step;
      s.setEmas?.forEach((e, k) => emas!.set(e, (r * MOMENTA + k) * items));
    });
    this.write(this.buffers.theta, theta);
    this.write(this.learned.mom!, mom);
    this.write(this.learned.moms!, moms);
    this.write(this.learned.rule!, rule);
    this.write(this.learned.steps!, steps);
    if (emas !== undefined) this.write(this.learned.emas!, emas);
    if (this.net !== undefined) {
      const phis = new Float32Array(R * optimizer.net!.paramCount);
      metas.forEach((phi, r) => phis.set(phi.subarray(optimizer.scalarCount), r * optimizer.net!.paramCount));
      this.net.setPhi(phis);
    }
    this.write(this.buffers.losses, new Float32Array(R));
  }

  /** Every run's θ and learning rate for Adam, with zero moments; the losses restart at 0. */
  loadAdam(thetas: readonly Float64Array[], lrs: readonly number[]): void {
    if (this.rule.kind !== 'adam') throw new Error('internal: loadAdam on learned runs');
    this.checkRuns(thetas.length);
    const theta = new Float32Array(this.runs * this.P);
    thetas.forEach((t, r) => theta.set(t, r * this.P));
    this.write(this.buffers.theta, theta);
    this.write(this.adam.m!, new Float32Array(this.runs * this.P));
    this.write(this.adam.v!, new Float32Array(this.runs * this.P));
    this.write(this.adam.lrs!, Float32Array.from(lrs));
    this.write(this.buffers.losses, new Float32Array(this.runs));
  }

  private checkRuns(n: number): void {
    if (n !== this.runs) throw new Error(`internal: ${n} states for ${this.runs} device runs`);
  }

  /**
   * `steps` inner steps of every run; `index` holds the batches' draws (examples, or window starts),
   * [steps, runs, batch] (run r's batch at step t: index[(t·runs + r)·batch …]). `done` counts the
   * steps taken since the runs were loaded (Adam's bias correction; the learned rule's time
   * embedding adds it to each run's own count).
   */
  async train(steps: number, index: Uint32Array, done = 0): Promise<void> {
    const { batch } = this.task.data;
    if (index.length !== steps * this.runs * batch) throw new Error(`internal: ${index.length} draws for ${steps} steps of ${this.runs} × ${batch}`);
    const indexBuffer = this.gpu.upload(index, 'batch index');
    try {
      for (let t0 = 0; t0 < steps; t0 += STEPS_PER_SUBMIT) {
        const step = this.gpu.step();
        for (let t = t0; t < Math.min(steps, t0 + STEPS_PER_SUBMIT); t++) this.recordStep(step, t, steps, indexBuffer, done + t);
        await this.gpu.validated('learned-optimizer inner steps', () => step.submit());
      }
    } finally {
      this.gpu.pool.release(indexBuffer);
    }
  }

  private launch(step: Step, kernel: Kernel, uniforms: Record<string, number>, buffers: GPUBuffer[], count: number): void {
    record(step, { kernel, pipeline: this.pipelines.get(kernel)!, uniforms, buffers, workgroups: linearGrid(count) });
  }

  /** Step t of a `train` call of `steps`, the run's step `since` since loading. */
  private recordStep(step: Step, t: number, steps: number, index: GPUBuffer, since: number): void {
    const { layout } = this.task.data;
    const { P, N, b } = this;
    const R = this.runs;
    const k = KERNELS;
    const B = this.buffers;
    const items = R * b;
    const indexOff = t * R * this.task.data.batch;
    if (this.rule.kind === 'adam') {
      const { beta1, beta2, eps } = this.rule.adam;
      const n = since + 1;
      const adam = { beta1, beta2, eps, bc1: 1 - beta1 ** n, bc2: 1 - beta2 ** n };
      if (this.target.fusesAdam) {
        this.target.record(step, { ...B, index }, indexOff, steps, { ...adam, m: this.adam.m!, v: this.adam.v!, lrs: this.adam.lrs! });
        return;
      }
      this.target.record(step, { ...B, index }, indexOff, steps);
      this.launch(step, k.adam, { count: R * P, P, ...adam }, [B.grad, this.adam.lrs!, B.theta, this.adam.m!, this.adam.v!], R * P);
      return;
    }
    this.target.record(step, { ...B, index }, indexOff, steps);
    const S = this.learned;
    this.launch(step, k.momentum, { count: R * P, P }, [B.grad, S.rule!, S.mom!, S.moms!], R * P);
    const net = this.net;
    if (net !== undefined) {
      const T = layout.params.length;
      this.launch(step, k.rms, { count: R * T * NORMALISED_CHANNELS, P, T }, [B.theta, B.grad, S.moms!, S.tensors!, S.scales!], R * T * NORMALISED_CHANNELS);
      this.launch(step, k.features, { count: R * P, P, T, t: since }, [B.theta, B.grad, S.moms!, S.tensorOf!, S.scales!, S.steps!, net.features, net.timeEmbedding], R * P);
      if (net.gradSets !== undefined) this.launch(step, k.sets, { count: items * N, items: b * N }, [B.factors, S.emas!, net.gradSets], items * N);
      net.record(step);
    }
    this.launch(step, k.update, { count: R * P, P, learned: net === undefined ? 0 : 1 }, [S.mom!, S.rule!, net?.direction ?? B.grad, B.theta], R * P);
  }

  /** Each run's mean test loss at its current θ (the evaluation metric, testLoss in float64). */
  testLosses(): Promise<Float64Array> {
    return this.target.testLosses(this.buffers.theta);
  }

  /** Each run's mean training loss over the last `train` (since the last load). */
  async losses(): Promise<Float64Array> {
    const { data } = await this.gpu.step().submit([{ buffer: this.buffers.losses, bytes: this.runs * 4 }]);
    return Float64Array.from(new Float32Array(data[0]!));
  }

  /** Every run's θ. */
  async thetas(): Promise<Float64Array[]> {
    const { data } = await this.gpu.step().submit([{ buffer: this.buffers.theta, bytes: this.runs * this.P * 4 }]);
    const all = new Float32Array(data[0]!);
    return Array.from({ length: this.runs }, (_, r) => Float64Array.from(all.subarray(r * this.P, (r + 1) * this.P)));
  }

  /** Every run's learned-rule state after `steps` more steps than at `loadLearned` (`before`: the loaded states). */
  async learnedStates(before: readonly RuleState[], steps: number): Promise<{ states: RuleState[]; losses: Float64Array }> {
    const R = this.runs;
    const P = this.P;
    const items = this.b * this.N * 2;
    const S = this.learned;
    const reads = [{ buffer: this.buffers.losses, bytes: R * 4 }, { buffer: this.buffers.theta, bytes: R * P * 4 }, { buffer: S.mom!, bytes: R * P * 4 }, { buffer: S.moms!, bytes: R * MOMENTA * P * 4 }];
    if (S.emas !== undefined) reads.push({ buffer: S.emas, bytes: R * MOMENTA * items * 4 });
    const { data } = await this.gpu.step().submit(reads);
    const [losses, theta, mom, moms, emas] = data.map((d) => new Float32Array(d));
    const slice = (a: Float32Array, at: number, n: number) => Float64Array.from(a.subarray(at, at + n));
    const states = before.map((s, r): RuleState => {
      const state: RuleState = {
        theta: slice(theta!, r * P, P),
        momentum: slice(mom!, r * P, P),
        momenta: Array.from({ length: MOMENTA }, (_, k) => slice(moms!, (r * MOMENTA + k) * P, P)),
        step: s.step + steps,
      };
      if (emas !== undefined) state.setEmas = Array.from({ length: MOMENTA }, (_, k) => slice(emas, (r * MOMENTA + k) * items, items));
      return state;
    });
    return { states, losses: Float64Array.from(losses!) };
  }

  release(): void {
    for (const b of this.owned) this.gpu.pool.release(b);
    this.target.release();
    this.net?.release();
  }
}

const KERNELS = {
  adam: adamRunsKernel(), momentum: momentumKernel(), rms: rmsKernel(), features: featuresKernel(), sets: gradSetsKernel(), update: updateKernel(),
};
