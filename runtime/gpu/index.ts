// The GPU executor of IR graphs and its kernel launch helpers.
export { deviceGraphs, stepOutputs, type DeviceGraphs } from './device-graphs.js';
export { GpuExecutor, type GpuExecutorOptions, type HostTensor, type RunOptions, type RunResult } from './executor.js';
export { pipelineOf, record, type Launch } from './launch.js';
export { layoutTables } from './tables.js';
export { GpuTrainer } from './trainer.js';
export { WebGpuExecutor, webgpuExecutor } from './webgpu-executor.js';
