// The front-end stages run in order over a set of files, wherever the files live:
//
//   load (read + parse every file and the modules it `use`s)  →  resolve (names, arities, kinds,
//   task fields)  →  CHECK_STAGES (later semantic stages, e.g. symmetry)
//
// The later stages only run on a program that parsed and resolved without errors, so each can
// rely on every name being bound and every call having the right arguments. check.ts runs this on
// the file system (`gmn check`); the browser playground on texts in memory.
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { loadModules } from './resolve/load.js';
import type { ModuleFiles } from './resolve/module-files.js';
import { resolveProgram, type ResolvedProgram } from './resolve/resolve.js';
import { checkSymmetry } from './symmetry/program.js';

/** A semantic stage over a resolved program. */
export type CheckStage = (program: ResolvedProgram) => Diagnostic[];

/**
 * The stages that run after resolution, in order. To add one (e.g. the symmetry checker), import
 * its `(program) => Diagnostic[]` function and append it here.
 */
export const CHECK_STAGES: readonly CheckStage[] = [checkSymmetry];

export interface ProgramSources {
  /** Folder of the standard library (`use std/x` → `<stdRoot>/x.gmn`). */
  stdRoot: string;
  files: ModuleFiles;
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

export function checkProgram(paths: readonly string[], options: ProgramSources): CheckResult {
  const loaded = loadModules(paths, { stdRoot: options.stdRoot, files: options.files });
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
