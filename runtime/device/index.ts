// The WebGPU device layer: adapter policy, buffers, pipelines, one submit per step. This barrel is
// Node's (it opens Dawn through the `webgpu` package); code that also runs in a browser imports the
// files it needs directly (webgpu-device.ts, step.ts, gpu-error.ts, ...).
export { findAdapter, installWebGpuGlobals, INSTALL_HINT } from './adapter.js';
export { describeAdapter, type AdapterDescription, type AdapterPath, type FoundAdapter } from './adapter-description.js';
export { BufferPool, sizeClass } from './buffer-pool.js';
export { PipelineCache, KernelError, type BindingKind } from './pipeline-cache.js';
export { installPollingThrottle, removePollingThrottle, pollingThrottleInstalled } from './polling.js';
export { GpuDevice, openOrWarn, storageUsage, type GpuOptions } from './gpu-device.js';
export { WebGpuDevice, type DeviceOptions } from './webgpu-device.js';
export { bindGroupOf, Step, type BoundDispatch, type Dispatch, type Readback, type KernelTimes } from './step.js';
export { ExampleTooLargeError, GpuRuntimeError } from './gpu-error.js';
export { showNativeChatter } from './native-chatter.js';
