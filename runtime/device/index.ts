// The WebGPU device layer: adapter policy, buffers, pipelines, one submit per step.
export { findAdapter, installWebGpuGlobals, INSTALL_HINT, type AdapterDescription, type AdapterPath, type FoundAdapter } from './adapter.js';
export { BufferPool, sizeClass } from './buffer-pool.js';
export { PipelineCache, KernelError, type BindingKind } from './pipeline-cache.js';
export { installPollingThrottle, removePollingThrottle, pollingThrottleInstalled } from './polling.js';
export { GpuDevice, openOrWarn, storageUsage, type GpuOptions } from './gpu-device.js';
export { bindGroupOf, Step, type BoundDispatch, type Dispatch, type Readback, type KernelTimes } from './step.js';
export { ExampleTooLargeError, GpuRuntimeError } from './gpu-error.js';
export { showNativeChatter } from './native-chatter.js';
