// Runtime failures of the device: a validation or out-of-memory error inside a step, a buffer
// larger than a binding may be, a grid larger than the device dispatches, a lost device. Each one
// is thrown as a GpuRuntimeError with what failed and where; a step that hit one never returns
// numbers (Dawn would otherwise print the error and let the run go on with garbage).

export class GpuRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuRuntimeError';
  }
}

/** One example of a net needs a buffer larger than the device binds: no micro-batch can run it. */
export class ExampleTooLargeError extends GpuRuntimeError {
  constructor(readonly net: string, readonly buffer: string, readonly bytes: number, readonly limit: number) {
    super(`${net}: buffer ${buffer} needs ${bytes} bytes even at a micro-batch of one example (some buffers, such as a contraction's partial sums, do not shrink with the batch), over the device's maxStorageBufferBindingSize of ${limit} bytes`);
    this.name = 'ExampleTooLargeError';
  }
}

/** The error scopes a step is recorded and submitted in, innermost last. */
export const STEP_SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
