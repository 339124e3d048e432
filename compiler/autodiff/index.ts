// Reverse-mode autodiff on the IR: public API.
export { buildBackward, type Backward, type BackwardOptions } from './backward.js';
export { buildTrainingStep, lossValue, STEP_COTANGENT, STEP_LOSS, STEP_TARGET, type LossKind, type TrainingStepGraph } from './loss.js';
export { NotDifferentiable, vjp, type Contributions } from './vjp.js';
