// The resolve stage: symbol tables and visibility for every loaded module, then the validation
// registry (validations.ts) over each module that parsed cleanly (a file with syntax errors has
// already been reported; checking its recovered fragments would only add noise).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { LoadResult } from './load.js';
import { declaredSymbols, symbolTable, type DeclSymbol, type ResolvedModule, type ResolvedProgram } from './symbols.js';
import { validateModule } from './walk.js';

export type { DeclSymbol, ResolvedModule, ResolvedProgram, SymbolTable } from './symbols.js';

export interface ResolveResult {
  program: ResolvedProgram;
  diagnostics: Diagnostic[];
}

export function resolveProgram(loaded: LoadResult): ResolveResult {
  const own = new Map([...loaded.modules.values()].map((m) => [m.path, declaredSymbols(m)]));
  const modules = new Map<string, ResolvedModule>();
  for (const m of loaded.modules.values()) {
    const visible = new Map<string, DeclSymbol>();
    for (const imp of m.imports) for (const s of own.get(imp.path) ?? []) if (!visible.has(s.name)) visible.set(s.name, s);
    for (const s of own.get(m.path) ?? []) if (!visible.has(s.name) || visible.get(s.name)!.module !== m.path) visible.set(s.name, s);
    modules.set(m.path, { ...m, symbols: symbolTable(own.get(m.path) ?? []), visible });
  }
  const program: ResolvedProgram = { modules, roots: loaded.roots.map((r) => modules.get(r)!) };
  const diagnostics: Diagnostic[] = [];
  for (const m of modules.values()) if (!m.hasSyntaxErrors) diagnostics.push(...validateModule(m));
  return { program, diagnostics };
}

/** The declaration a name refers to in `module`, if any. */
export function lookup(module: ResolvedModule, name: string): DeclSymbol | undefined {
  return module.visible.get(name);
}
