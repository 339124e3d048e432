// The numeric verification harness: public API.
export { applyTransform, inducedParamMap, type Transform } from './action.js';
export { sampleGroupElement, setAxes } from './group.js';
export { relativeError, verifyGraph, type VerifyOptions, type VerifyReport } from './harness.js';
export { nonGroupTransforms, type NonGroupTransform, type SensitivityKind } from './sensitivity.js';
