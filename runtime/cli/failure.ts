// How a command's failure reaches the user: diagnostics with the offending source lines, an error
// the user can fix with its hint (both exit 1), a device failure in plain words; anything else is
// a bug in gmn and goes on to runCli, which reports it as one (exit 70). One place, so that every
// command words the same failure the same way.
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../compiler/diagnostics/render.js';
import { GpuRuntimeError } from '../device/gpu-error.js';
import { HintedError } from '../util/hinted-error.js';
import { EXIT } from './command.js';

/**
 * Prints `e` for the user and returns the exit code when it is a user's error; rethrows otherwise.
 * `sources` (the checked files' texts) lets diagnostics show the lines they point at.
 */
export function reportFailure(e: unknown, command: string | undefined, sources?: ReadonlyMap<string, string>): number {
  if (!isUserFailure(e)) throw e;
  const prefix = command === undefined ? 'gmn' : `gmn ${command}`;
  if (e instanceof DiagnosticError) {
    process.stderr.write(renderDiagnostics(e.diagnostics, sources));
    return EXIT.diagnostics;
  }
  if (e instanceof HintedError) {
    process.stderr.write(`${prefix}: error: ${e.message}\n  hint: ${e.hint}\n`);
    return EXIT.diagnostics;
  }
  // The device failed under a valid program (lost device, out of memory, a driver's validation
  // error): an environment problem to report plainly, not a trace.
  process.stderr.write(`${prefix}: error: the WebGPU device failed: ${e.message}\n  hint: run again with --verbose to see the driver's own messages, or use --backend reference\n`);
  return EXIT.diagnostics;
}

/** Whether `e` is the user's to fix (or the environment's), not a bug in gmn. */
export function isUserFailure(e: unknown): e is DiagnosticError | HintedError | GpuRuntimeError {
  return e instanceof DiagnosticError || e instanceof HintedError || e instanceof GpuRuntimeError;
}
