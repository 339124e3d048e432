// One step's worth of GPU work: dispatches recorded into a single command encoder, one submit, and
// one batched readback (all requested buffers copied into a single staging buffer, mapped once).
// The whole step runs inside validation / out-of-memory / internal error scopes: an error, or a
// device lost meanwhile, makes `submit` throw a GpuRuntimeError instead of returning numbers.
import type { GpuDevice } from './gpu-device.js';
import { GpuRuntimeError, STEP_SCOPES } from './gpu-error.js';

export interface Dispatch {
  name: string;
  pipeline: GPUComputePipeline;
  /** Buffers in binding order 0, 1, 2, ... (binding 0 is the kernel's uniform block). */
  buffers: GPUBuffer[];
  workgroups: [number, number, number];
}

export interface Readback {
  buffer: GPUBuffer;
  bytes: number;
}

/** Per-kernel time of one step, in milliseconds (summed over dispatches of the same kernel). */
export type KernelTimes = Map<string, { ms: number; dispatches: number }>;

/** A dispatch with its bind group made: `Step.dispatchBound` replays it. */
export interface BoundDispatch {
  name: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** The bind group of a dispatch's buffers (binding 0 is its uniform block). */
export function bindGroupOf(gpu: GpuDevice, d: Dispatch): GPUBindGroup {
  const entries = d.buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  return gpu.device.createBindGroup({ layout: d.pipeline.getBindGroupLayout(0), entries, label: d.name });
}

export class Step {
  private readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniforms: GPUBuffer[] = [];
  private readonly timed: string[] = [];
  private readonly querySet: GPUQuerySet | null;
  // WebGPU caps a query set at 4096 queries: two timestamps per dispatch.
  private readonly maxTimed = 2048;

  private scopesOpen = true;
  private dispatches = 0;

  constructor(private readonly gpu: GpuDevice) {
    for (const filter of STEP_SCOPES) gpu.device.pushErrorScope(filter);
    this.encoder = gpu.device.createCommandEncoder({ label: 'gmn-step' });
    this.querySet = gpu.profiling ? gpu.device.createQuerySet({ type: 'timestamp', count: 2 * this.maxTimed }) : null;
  }

  /** A uniform buffer holding `words` (u32 or f32 bit patterns), released when the step ends. */
  uniform(words: Uint32Array): GPUBuffer {
    const buffer = this.gpu.pool.acquire(Math.max(16, Math.ceil(words.byteLength / 16) * 16), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'uniform');
    this.gpu.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    this.uniforms.push(buffer);
    return buffer;
  }

  dispatch(d: Dispatch): void {
    const [x, y, z] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    this.checkLimits(d);
    this.dispatches++;
    this.encode(d.name, d.pipeline, bindGroupOf(this.gpu, d), d.workgroups);
  }

  /**
   * A dispatch whose bind group (its uniforms included) was made once (`bindDispatch`) and is
   * replayed by many steps: no uniform upload or bind-group creation per step, which on lavapipe
   * costs about as much host time per dispatch as the device spends running a small kernel.
   */
  dispatchBound(d: BoundDispatch): void {
    const [x, y, z] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    this.dispatches++;
    this.encode(d.name, d.pipeline, d.bindGroup, d.workgroups);
  }

  private encode(name: string, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, [x, y, z]: [number, number, number]): void {
    let pass: GPUComputePassEncoder;
    if (this.querySet !== null && this.timed.length < this.maxTimed) {
      // Timestamps are written per pass, so profiling gives every dispatch its own pass.
      const index = this.timed.length;
      this.timed.push(name);
      pass = this.encoder.beginComputePass({
        timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 },
      });
    } else {
      this.pass ??= this.encoder.beginComputePass();
      pass = this.pass;
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (pass !== this.pass) pass.end();
  }

  /** Limits Dawn would only report asynchronously (and with less context): checked while recording. */
  private checkLimits(d: Dispatch): void {
    const limit = this.gpu.bindingLimit;
    d.buffers.forEach((buffer, binding) => {
      if (binding > 0 && buffer.size > limit) {
        this.abort();
        throw new GpuRuntimeError(
          `kernel ${d.name}: binding ${binding} (buffer "${buffer.label}", ${buffer.size} bytes) exceeds the device's ` +
            `maxStorageBufferBindingSize of ${limit} bytes; run a smaller batch (WebGpuExecutor splits batches into micro-batches that fit)`,
        );
      }
    });
    const maxGrid = this.gpu.device.limits.maxComputeWorkgroupsPerDimension;
    if (d.workgroups.some((n) => n > maxGrid)) {
      this.abort();
      throw new GpuRuntimeError(`kernel ${d.name}: dispatch of ${d.workgroups.join('×')} workgroups exceeds maxComputeWorkgroupsPerDimension (${maxGrid})`);
    }
  }

  /** Closes the step's error scopes without submitting (recording failed). */
  private abort(): void {
    if (!this.scopesOpen) return;
    this.scopesOpen = false;
    for (let i = 0; i < STEP_SCOPES.length; i++) void this.gpu.device.popErrorScope().catch(() => null);
    this.querySet?.destroy();
    for (const u of this.uniforms) this.gpu.pool.release(u);
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Ends recording, submits once, and reads back the requested buffers in one mapping. */
  async submit(readbacks: Readback[] = []): Promise<{ data: ArrayBuffer[]; times: KernelTimes | null }> {
    this.endPass();
    const aligned = readbacks.map((r) => Math.ceil(r.bytes / 8) * 8);
    const total = aligned.reduce((a, b) => a + b, 0);
    const timestampBytes = this.querySet !== null ? this.timed.length * 16 : 0;
    let staging: GPUBuffer | null = null;
    let resolve: GPUBuffer | null = null;
    if (total + timestampBytes > 0) {
      staging = this.gpu.device.createBuffer({ size: total + timestampBytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ, label: 'readback' });
      let offset = 0;
      readbacks.forEach((r, i) => {
        if (r.bytes > 0) this.encoder.copyBufferToBuffer(r.buffer, 0, staging!, offset, aligned[i]!);
        offset += aligned[i]!;
      });
      if (this.querySet !== null && this.timed.length > 0) {
        resolve = this.gpu.device.createBuffer({ size: timestampBytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        this.encoder.resolveQuerySet(this.querySet, 0, 2 * this.timed.length, resolve, 0);
        this.encoder.copyBufferToBuffer(resolve, 0, staging, total, timestampBytes);
      }
    }
    this.gpu.device.queue.submit([this.encoder.finish()]);
    for (const u of this.uniforms) this.gpu.pool.release(u);
    this.scopesOpen = false;
    const scopes = STEP_SCOPES.map(() => this.gpu.device.popErrorScope());
    const done = staging !== null ? staging.mapAsync(GPUMapMode.READ) : this.gpu.device.queue.onSubmittedWorkDone();
    const [finished, scoped] = await Promise.allSettled([done, Promise.all(scopes)]);
    const errors = scoped.status === 'fulfilled' ? scoped.value.flatMap((e) => (e === null ? [] : [e.message])) : [`error scopes failed: ${String(scoped.reason)}`];
    if (errors.length > 0 || finished.status === 'rejected') {
      staging?.destroy();
      resolve?.destroy();
      this.querySet?.destroy();
      this.gpu.checkHealthy(`a step of ${this.dispatches} dispatches`);
      const failure = finished.status === 'rejected' ? [`readback failed: ${String(finished.reason)}`] : [];
      throw new GpuRuntimeError(`WebGPU error in a step of ${this.dispatches} dispatches (its results are discarded):\n${[...errors, ...failure].join('\n')}`);
    }
    this.gpu.checkHealthy(`a step of ${this.dispatches} dispatches`);
    const data: ArrayBuffer[] = [];
    let times: KernelTimes | null = null;
    if (staging !== null) {
      const mapped = staging.getMappedRange();
      let offset = 0;
      readbacks.forEach((r, i) => {
        data.push(mapped.slice(offset, offset + r.bytes));
        offset += aligned[i]!;
      });
      if (timestampBytes > 0) times = kernelTimes(this.timed, new BigUint64Array(mapped.slice(total, total + timestampBytes)));
      staging.unmap();
      staging.destroy();
      resolve?.destroy();
    }
    this.querySet?.destroy();
    if (times !== null) this.gpu.lastTimes = times;
    return { data, times };
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}

function kernelTimes(names: string[], stamps: BigUint64Array): KernelTimes {
  const times: KernelTimes = new Map();
  names.forEach((name, i) => {
    const ms = Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1e6;
    const t = times.get(name);
    if (t === undefined) times.set(name, { ms, dispatches: 1 });
    else {
      t.ms += ms;
      t.dispatches++;
    }
  });
  return times;
}
