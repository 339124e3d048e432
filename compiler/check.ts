// `gmn check` as a library: the front-end stages run in order over a set of files.
//
//   load (read + parse every file and the modules it `use`s)  →  resolve (names, arities, kinds,
//   task fields)  →  CHECK_STAGES (later semantic stages, e.g. symmetry)
//
// The later stages only run on a program that parsed and resolved without errors, so each can
// rely on every name being bound and every call having the right arguments.
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { loadModules } from './resolve/load.js';
import { defaultStdRoot } from './resolve/package-root.js';
import { resolveProgram, type ResolvedProgram } from './resolve/resolve.js';
import { checkSymmetry } from './symmetry/program.js';

/** A semantic stage over a resolved program. */
export type CheckStage = (program: ResolvedProgram) => Diagnostic[];

/**
 * The stages that run after resolution, in order. To add one (e.g. the symmetry checker), import
 * its `(program) => Diagnostic[]` function and append it here.
 */
export const CHECK_STAGES: readonly CheckStage[] = [checkSymmetry];

export interface CheckOptions {
  /** Folder of the standard library; defaults to the installed package's `std/`. */
  stdRoot?: string;
  /** Reads a file (undefined when missing); defaults to the file system. */
  readFile?: (path: string) => string | undefined;
  /** Stages to run after resolution; defaults to CHECK_STAGES. */
  stages?: readonly CheckStage[];
}

export interface CheckResult {
  /** Every diagnostic of every stage that ran, sorted by file and position. */
  diagnostics: Diagnostic[];
  program: ResolvedProgram;
  /** Source text by the file name used in spans (what the renderer shows). */
  sources: Map<string, string>;
}

export function checkFiles(paths: readonly string[], options: CheckOptions = {}): CheckResult {
  const loaded = loadModules(paths, {
    stdRoot: options.stdRoot ?? defaultStdRoot(),
    ...(options.readFile ? { readFile: options.readFile } : {}),
  });
  const resolved = resolveProgram(loaded);
  const diagnostics = [...loaded.diagnostics, ...resolved.diagnostics];
  if (!diagnostics.some((d) => d.severity === 'error')) {
    for (const stage of options.stages ?? CHECK_STAGES) diagnostics.push(...stage(resolved.program));
  }
  const sources = new Map([...loaded.modules.values()].map((m) => [m.file, m.source]));
  return { diagnostics: sortDiagnostics(diagnostics), program: resolved.program, sources };
}

/** By file, then position; diagnostics at one position keep their order. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((x, y) =>
      x.d.span.file < y.d.span.file ? -1 : x.d.span.file > y.d.span.file ? 1
        : x.d.span.start.offset - y.d.span.start.offset || x.i - y.i)
    .map((x) => x.d);
}
