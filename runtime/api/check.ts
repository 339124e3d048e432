// The front end as a library: parse, check (resolve + prove the symmetry) and explain a .gmn file.
// `gmn check` and `gmn explain` are these functions with printing around them.
import { checkFiles, type CheckOptions, type CheckResult } from '../../compiler/check.js';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../compiler/diagnostics/render.js';
import { explainedNets } from '../../compiler/symmetry/explain-text.js';
import { certifyProgram, type NetReport } from '../../compiler/symmetry/program.js';
import { parseSource, type ParseResult } from '../../compiler/syntax/parse.js';

export type { CheckOptions, CheckResult, Diagnostic, NetReport, ParseResult };

/** One file's text → its AST and syntax errors (no modules are loaded). `file` names it in spans. */
export function parse(text: string, file = '<input>'): ParseResult {
  return parseSource(text, file);
}

/** Loads `files` and the modules they `use`, resolves them and proves every net's symmetry. */
export function check(files: string | readonly string[], options: CheckOptions = {}): CheckResult & { ok: boolean } {
  const result = checkFiles(typeof files === 'string' ? [files] : files, options);
  return { ...result, ok: !result.diagnostics.some((d) => d.severity === 'error') };
}

/** Diagnostics as `gmn check` prints them: `file:line:col: error: ...` with the source line. */
export function formatDiagnostics(result: Pick<CheckResult, 'diagnostics' | 'sources'>): string {
  return renderDiagnostics(result.diagnostics, result.sources);
}

/**
 * The certificate of every net the file declares or its tasks train (`gmn explain`): each net's
 * instantiation, the proved statement (`certificate.statement`), the rule at each op, its lowered IR.
 */
export function explain(file: string, options: CheckOptions = {}): { result: CheckResult & { ok: boolean }; nets: NetReport[] } {
  const result = check(file, options);
  const root = result.program.roots[0];
  const nets = root === undefined ? [] : explainedNets(certifyProgram(result.program), root.file);
  return { result, nets };
}
