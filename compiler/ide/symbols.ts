// Document symbols (the outline): targets, nets and blocks with their parameters, tasks with their
// fields and presets.
import type { Declaration, Program, Span } from '../syntax/ast.js';

export type SymbolKind = 'class' | 'function' | 'module' | 'field' | 'namespace' | 'variable';

export interface DocumentSymbol {
  name: string;
  kind: SymbolKind;
  detail?: string;
  /** The whole declaration. */
  span: Span;
  /** Its name. */
  selection: Span;
  children: DocumentSymbol[];
}

export function documentSymbols(program: Program): DocumentSymbol[] {
  return program.declarations.flatMap(declarationSymbol);
}

function declarationSymbol(d: Declaration): DocumentSymbol[] {
  switch (d.kind) {
    case 'use':
      return [];
    case 'target':
      return [{ name: d.name.name, kind: 'class', detail: 'target', span: d.span, selection: d.name.span, children: [] }];
    case 'net':
    case 'block':
      return [{
        name: d.name.name, kind: 'function', detail: d.kind, span: d.span, selection: d.name.span,
        children: d.params.map((p) => ({ name: p.name.name, kind: 'variable', span: p.span, selection: p.name.span, children: [] })),
      }];
    case 'task':
      return [{
        name: d.name.name, kind: 'module', detail: 'task', span: d.span, selection: d.name.span,
        children: [
          ...d.fields.map((f): DocumentSymbol => ({ name: f.key.name, kind: 'field', span: f.span, selection: f.key.span, children: [] })),
          ...d.presets.map((p): DocumentSymbol => ({
            name: p.name.name, kind: 'namespace', detail: 'preset', span: p.span, selection: p.name.span,
            children: p.fields.map((f) => ({ name: f.key.name, kind: 'field', span: f.span, selection: f.key.span, children: [] })),
          })),
        ],
      }];
  }
}
