// The float64 reference executor: public API.
export { executeGraph, type Execution, type ExecuteOptions } from './execute.js';
export { tensor, type Tensor } from './tensor.js';
