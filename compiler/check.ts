// `gmn check` as a library: the front-end stages (check-program.ts) over files on this machine,
// `use std/...` read from the installed package's std/.
import { checkProgram, type CheckResult, type CheckStage, type ProgramSources } from './check-program.js';
import { nodeModuleFiles } from './resolve/node-files.js';
import { defaultStdRoot } from './resolve/package-root.js';

export { CHECK_STAGES, sortDiagnostics, type CheckResult, type CheckStage } from './check-program.js';

export interface CheckOptions {
  /** Folder of the standard library; defaults to the installed package's `std/`. */
  stdRoot?: string;
  /** Reads a file (undefined when missing); defaults to the file system. */
  readFile?: (path: string) => string | undefined;
  /** Stages to run after resolution; defaults to CHECK_STAGES. */
  stages?: readonly CheckStage[];
}

export function checkFiles(paths: readonly string[], options: CheckOptions = {}): CheckResult {
  return checkProgram(paths, nodeSources(options));
}

/** Where `options` says the files are on this machine (the defaults: the file system, the package's std/). */
export function nodeSources(options: CheckOptions = {}): ProgramSources {
  return {
    stdRoot: options.stdRoot ?? defaultStdRoot(),
    files: nodeModuleFiles(options.readFile),
    ...(options.stages === undefined ? {} : { stages: options.stages }),
  };
}
