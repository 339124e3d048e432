// One opened WebGPU device with everything the runtime needs around it: the adapter description,
// a buffer pool, a pipeline cache, batched readback and (optionally) per-kernel timestamps. It is
// opened on an adapter from anywhere — Dawn's in Node (gpu-device.ts: GpuDevice.open, the adapter
// policy) or a browser's navigator.gpu (the playground) — and touches nothing else of its host.
// The `GPU` object is kept in a field for the device's whole life: if V8 collects dawn.node's, it
// aborts the process (recipe pitfall 2).
import type { AdapterDescription, FoundAdapter } from './adapter-description.js';
import { BufferPool } from './buffer-pool.js';
import { GpuRuntimeError } from './gpu-error.js';
import { PipelineCache } from './pipeline-cache.js';
import { Step, type KernelTimes } from './step.js';

/** How a device is opened on an adapter (gpu-device.ts's GpuOptions add how the adapter is found). */
export interface DeviceOptions {
  /** Validation error scopes and compilation info on every kernel (debug and test builds). */
  checked?: boolean;
  /** Per-kernel timings from timestamp queries, when the adapter has them. */
  profile?: boolean;
  /**
   * A lower storage-binding limit than the device's (tests: WebGPU clamps a requested limit below
   * the default back up to it, so a small limit can only be imposed here).
   */
  maxBindingBytes?: number;
}

export class WebGpuDevice {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** True when `profile` was asked for and the adapter can write timestamps. */
  readonly profiling: boolean;
  /** Per-kernel times of the most recent submitted step (profiling only). */
  lastTimes: KernelTimes | null = null;
  /** The largest buffer a kernel may bind: the device's `maxStorageBufferBindingSize` (or lower, see DeviceOptions). */
  readonly bindingLimit: number;
  /** Set once the device is lost; every later step throws it. */
  private lostInfo: GPUDeviceLostInfo | null = null;
  /** Errors raised outside any step's error scopes (e.g. by an input upload), thrown at the next submit. */
  private readonly uncaptured: string[] = [];

  private constructor(
    private readonly gpu: GPU,
    readonly device: GPUDevice,
    readonly description: AdapterDescription,
    options: DeviceOptions,
  ) {
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device, options.checked ?? false);
    this.profiling = (options.profile ?? false) && device.features.has('timestamp-query');
    this.bindingLimit = Math.min(device.limits.maxStorageBufferBindingSize, options.maxBindingBytes ?? Infinity);
    void device.lost.then((info) => {
      this.lostInfo = info;
    });
    device.addEventListener('uncapturederror', (event) => {
      this.uncaptured.push((event as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** Throws if the device was lost or reported an error no step captured. */
  checkHealthy(what: string): void {
    if (this.lostInfo !== null && this.lostInfo.reason !== 'destroyed') {
      throw new GpuRuntimeError(`WebGPU device lost during ${what} (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    }
    if (this.lostInfo !== null) throw new GpuRuntimeError(`${what} on a destroyed WebGPU device`);
    if (this.uncaptured.length > 0) {
      const messages = this.uncaptured.splice(0);
      throw new GpuRuntimeError(`WebGPU error before ${what}: ${messages.join('\n')}`);
    }
  }

  /** Opens a device on `found.adapter`, asking for the adapter's own limits. */
  static async onAdapter(found: FoundAdapter, options: DeviceOptions = {}): Promise<WebGpuDevice> {
    const { adapter } = found;
    // Defaults are far below what lavapipe offers (pitfall 5): ask for the adapter's own limits.
    const requiredLimits: Record<string, number> = {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: adapter.limits.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    };
    const requiredFeatures: GPUFeatureName[] = [];
    if (options.profile === true && adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    return new WebGpuDevice(found.gpu, device, found.description, options);
  }

  /** The `GPU` object this device came from (kept referenced; exposed for diagnostics only). */
  get gpuObject(): GPU {
    return this.gpu;
  }

  /** Upload host data into a pooled storage buffer. */
  upload(data: Float32Array | Int32Array | Uint32Array, label = 'upload'): GPUBuffer {
    const buffer = this.pool.acquire(Math.max(data.byteLength, 4), storageUsage(), label);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** A pooled storage buffer of at least `bytes` bytes (contents undefined). */
  scratch(bytes: number, label = 'scratch'): GPUBuffer {
    return this.pool.acquire(Math.max(bytes, 4), storageUsage(), label);
  }

  /** Starts recording one step: every dispatch goes into one encoder and one submit. */
  step(): Step {
    return new Step(this);
  }

  /** Runs `body` inside a validation error scope and throws what it reports. */
  async validated<T>(what: string, body: () => T): Promise<T> {
    this.device.pushErrorScope('validation');
    const result = body();
    const error = await this.device.popErrorScope();
    if (error !== null) throw new Error(`WebGPU validation error in ${what}: ${error.message}`);
    return result;
  }

  destroy(): void {
    this.pool.destroyAll();
    this.device.destroy();
  }
}

export function storageUsage(): GPUBufferUsageFlags {
  return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
}
