// The registry of `gmn` subcommands, in the order `gmn --help` lists them.
//
// To add a command:
//   1. write `runtime/cli/commands/NAME.ts` exporting a `Command` (see ../command.ts): name, a
//      one-line summary, usage text starting `usage: gmn NAME ...`, and `run(argv)` resolving to an
//      exit code (EXIT.ok / EXIT.diagnostics / EXIT.usage); parse argv with `parseCommandArgs` so a
//      bad flag becomes a usage error (exit 2) automatically;
//   2. add one import below and one entry to COMMANDS.
// Print user errors as diagnostics (compiler/diagnostics/render.ts); only bugs may throw, and
// main.ts turns those into `gmn: internal error: ...` (exit 70).
import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { lspCommand } from './lsp.js';
import { fmtCommand } from './fmt.js';
import { doctorCommand } from './doctor.js';
import { explainCommand } from './explain.js';
import { benchCommand } from './bench.js';
import { compileCommand } from './compile.js';
import { verifyCommand } from './verify.js';
import { runCommand } from './run.js';
import { exportCommand } from './export.js';
import { editCommand } from './edit.js';
import { optimizeCommand } from './optimize.js';
import { predictCommand } from './predict.js';
import { workerCommand } from './worker.js';
import { playgroundCommand } from './playground.js';

export const COMMANDS: readonly Command[] = [
  checkCommand,
  explainCommand,
  doctorCommand,
  compileCommand,
  verifyCommand,
  runCommand,
  workerCommand,
  exportCommand,
  editCommand,
  optimizeCommand,
  predictCommand,
  benchCommand,
  fmtCommand,
  lspCommand,
  playgroundCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
