// A diagnostic is a user-facing error or warning with the source range it is about.
// Every stage reports problems this way; nothing a user wrote may surface as a stack trace.
import type { Span } from '../syntax/ast.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable identifier, e.g. `syntax/unexpected-token`, `symmetry/breaks-group`. */
  code: string;
  message: string;
  span: Span;
  /** One line that tells the user what to do, e.g. "did you mean `relu`?". */
  hint?: string;
}

/** Thrown only to abort a stage early; the caller turns it into printed diagnostics, never a trace. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('\n'));
  }
}

export function error(code: string, message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { severity: 'error', code, message, span } : { severity: 'error', code, message, span, hint };
}
