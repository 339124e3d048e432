// The compiler's spans, diagnostics and editor results as LSP values. Offsets are JavaScript
// string indices, i.e. UTF-16 code units, which is what LSP positions count by default.
import {
  CompletionItemKind, DiagnosticSeverity, SymbolKind, type CompletionItem, type Diagnostic as LspDiagnostic,
  type DocumentSymbol as LspSymbol, type Range,
} from 'vscode-languageserver/node';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { Completion } from '../../compiler/ide/completion.js';
import type { DocumentSymbol } from '../../compiler/ide/symbols.js';
import type { Span } from '../../compiler/syntax/ast.js';

export function spanRange(span: Span): Range {
  return {
    start: { line: span.start.line - 1, character: span.start.column - 1 },
    end: { line: span.end.line - 1, character: span.end.column - 1 },
  };
}

/** A diagnostic with its hint appended, as `gmn check` prints it. */
export function lspDiagnostic(d: Diagnostic, range: Range = spanRange(d.span)): LspDiagnostic {
  const severity = d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;
  return { range, severity, code: d.code, source: 'gmn', message: d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}` };
}

const COMPLETION_KINDS: Record<Completion['kind'], CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  function: CompletionItemKind.Function,
  variable: CompletionItemKind.Variable,
  field: CompletionItemKind.Field,
  property: CompletionItemKind.Property,
  class: CompletionItemKind.Class,
  module: CompletionItemKind.Module,
};

export function completionItem(c: Completion): CompletionItem {
  return {
    label: c.label,
    kind: COMPLETION_KINDS[c.kind],
    ...(c.detail === undefined ? {} : { detail: c.detail }),
    ...(c.documentation === undefined ? {} : { documentation: c.documentation }),
    ...(c.insertText === undefined ? {} : { insertText: c.insertText }),
  };
}

const SYMBOL_KINDS: Record<DocumentSymbol['kind'], SymbolKind> = {
  class: SymbolKind.Class,
  function: SymbolKind.Function,
  module: SymbolKind.Module,
  field: SymbolKind.Field,
  namespace: SymbolKind.Namespace,
  variable: SymbolKind.Variable,
};

export function lspSymbol(s: DocumentSymbol): LspSymbol {
  return {
    name: s.name,
    kind: SYMBOL_KINDS[s.kind],
    ...(s.detail === undefined ? {} : { detail: s.detail }),
    range: spanRange(s.span),
    selectionRange: spanRange(s.selection),
    children: s.children.map(lspSymbol),
  };
}
