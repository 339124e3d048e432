// One diagnostic as users read it: `file:line:col: error: message`, the source line with a caret
// underline beneath the range, and `  hint: ...`. No file access (render.ts reads missing sources),
// so the browser playground renders with it too.
import type { Diagnostic } from './diagnostic.js';

export function renderDiagnostic(d: Diagnostic, source: string | undefined): string {
  const { file, start, end } = d.span;
  const out = [`${file}:${start.line}:${start.column}: ${d.severity}: ${d.message}`];
  const line = source === undefined ? undefined : source.split(/\r?\n/)[start.line - 1];
  if (line !== undefined) {
    const gutter = String(start.line);
    const pad = ' '.repeat(gutter.length);
    // The underline runs to the span's end, or to the end of the line for a multi-line span;
    // an empty span (a missing token) still gets one caret.
    const from = start.column - 1;
    const to = end.line === start.line ? end.column - 1 : line.length;
    const width = Math.max(1, to - from);
    const indent = [...line.slice(0, from)].map((ch) => (ch === '\t' ? '\t' : ' ')).join('');
    out.push(` ${gutter} | ${line}`, ` ${pad} | ${indent}${'^'.repeat(width)}`);
  }
  if (d.hint !== undefined) out.push(`  hint: ${d.hint}`);
  return out.join('\n');
}
