// Turns diagnostics into what users read: `file:line:col: error: message`, the source line with
// a caret underline beneath the range, and `  hint: ...`; or into plain JSON objects (`--json`).
import { readFileSync } from 'node:fs';
import type { Diagnostic } from './diagnostic.js';
import { renderDiagnostic } from './render-one.js';

export { renderDiagnostic };

export interface JsonDiagnostic {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: Diagnostic['severity'];
  code: string;
  message: string;
  hint: string | null;
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): JsonDiagnostic[] {
  return diagnostics.map((d) => ({
    file: d.span.file,
    line: d.span.start.line,
    col: d.span.start.column,
    endLine: d.span.end.line,
    endCol: d.span.end.column,
    severity: d.severity,
    code: d.code,
    message: d.message,
    hint: d.hint ?? null,
  }));
}

/**
 * Renders every diagnostic, each followed by a blank line. Sources come from `sources` (keyed by
 * `span.file`) when given, else from disk; a file that cannot be read is shown without its line.
 */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], sources?: ReadonlyMap<string, string>): string {
  const cache = new Map<string, string | undefined>(sources);
  const sourceOf = (file: string): string | undefined => {
    if (!cache.has(file)) cache.set(file, tryRead(file));
    return cache.get(file);
  };
  return diagnostics.map((d) => `${renderDiagnostic(d, sourceOf(d.span.file))}\n`).join('');
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
