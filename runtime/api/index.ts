// gmn as a library: `import { check, runTask, loadTrainedModel } from 'gmn'` (docs/api.md). The
// stable entry points, each what a `gmn` command does without the printing; the CLI's check,
// explain, run and predict are built on them. Errors: a DiagnosticError for errors in a .gmn file
// (`diagnostics`, printable with formatDiagnostics), a HintedError for anything else the user can
// fix (`message` and `hint`).
export { check, explain, formatDiagnostics, parse, type CheckOptions, type CheckResult, type Diagnostic, type NetReport, type ParseResult } from './check.js';
export { compileTask, type CompiledModel } from './compile.js';
export { runTask, type Progress, type RunResult, type RunTaskOptions, type RunTaskResult } from './run-task.js';
export {
  batchTensor, checkpointTask, loadTrainedModel, predict,
  type CheckpointOptions, type CurvaturePrediction, type PredictOptions, type ReadTensor, type Tensor, type TrainedModel,
} from './trained.js';
export { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
export { HintedError } from '../util/hinted-error.js';
