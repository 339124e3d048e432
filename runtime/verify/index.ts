// The numeric verification harness: public API.
export { applyTransform, inducedParamMap, type Transform } from './action.js';
export { referenceBackend, webgpuBackend, type LoadedNet, type VerifyBackend } from './backend.js';
export { sampleGroupElement, setAxes } from './group.js';
export { randomParams, relativeError, verifyGraph, type VerifyOptions, type VerifyReport } from './harness.js';
export { isVerified, verifyNet, verifyProgram, type NetVerification } from './program.js';
export { nonGroupTransforms, type NonGroupTransform, type SensitivityKind } from './sensitivity.js';
