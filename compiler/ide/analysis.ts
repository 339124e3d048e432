// One file as an editor sees it: `gmn check`'s pipeline (check.ts: load, resolve) and its symmetry
// stage, keeping what the editor features read: the resolved modules and every net instantiation
// with its lowered graph and certificate.
import { checkProgram, sortDiagnostics, type ProgramSources } from '../check-program.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ResolvedModule, ResolvedProgram } from '../resolve/resolve.js';
import { certifyProgram, type NetReport } from '../symmetry/program.js';

export interface Analysis {
  /** Every diagnostic `gmn check FILE` prints, in its order. */
  diagnostics: Diagnostic[];
  program: ResolvedProgram;
  /** The analysed file's module (undefined when it could not be read). */
  module: ResolvedModule | undefined;
  /** Every net instantiation the symmetry stage lowered (none when an earlier stage found errors). */
  reports: NetReport[];
}

/** Analyses the file at the absolute `path` (`sources.files` may supply unsaved editor text). */
export function analyzeFile(path: string, sources: Omit<ProgramSources, 'stages'>): Analysis {
  const checked = checkProgram([path], { ...sources, stages: [] });
  const clean = !checked.diagnostics.some((d) => d.severity === 'error');
  const reports = clean ? certifyProgram(checked.program) : [];
  return {
    diagnostics: sortDiagnostics([...checked.diagnostics, ...reports.flatMap((r) => r.diagnostics)]),
    program: checked.program,
    module: checked.program.modules.get(path),
    reports,
  };
}

/** The module whose spans are named `file` (spans name files as diagnostics print them). */
export function moduleOfFile(program: ResolvedProgram, file: string): ResolvedModule | undefined {
  return [...program.modules.values()].find((m) => m.file === file);
}
