// What the resolver produces: every loaded module with its symbol table (targets, nets, blocks,
// tasks) and the names visible in it (its own declarations, then those of the modules it `use`s
// directly: names are not re-exported).
import type { FunctionDecl, TargetDecl, TaskDecl } from '../syntax/ast.js';
import type { LoadedModule } from './load.js';

export type DeclSymbol =
  | { kind: 'target'; name: string; decl: TargetDecl; module: string }
  | { kind: 'net' | 'block'; name: string; decl: FunctionDecl; module: string }
  | { kind: 'task'; name: string; decl: TaskDecl; module: string };

export interface SymbolTable {
  targets: Map<string, TargetDecl>;
  nets: Map<string, FunctionDecl>;
  blocks: Map<string, FunctionDecl>;
  tasks: Map<string, TaskDecl>;
}

export interface ResolvedModule extends LoadedModule {
  /** This module's own declarations (the first of duplicates). */
  symbols: SymbolTable;
  /** Every name usable here: own declarations shadow those of directly used modules. */
  visible: Map<string, DeclSymbol>;
}

export interface ResolvedProgram {
  /** By absolute path. */
  modules: Map<string, ResolvedModule>;
  /** The files the user named, in order. */
  roots: ResolvedModule[];
}

export function declaredSymbols(mod: LoadedModule): DeclSymbol[] {
  const out: DeclSymbol[] = [];
  for (const d of mod.program.declarations) {
    if (d.kind === 'use' || d.name.name === '') continue;
    if (d.kind === 'target') out.push({ kind: 'target', name: d.name.name, decl: d, module: mod.path });
    else if (d.kind === 'task') out.push({ kind: 'task', name: d.name.name, decl: d, module: mod.path });
    else out.push({ kind: d.kind, name: d.name.name, decl: d, module: mod.path });
  }
  return out;
}

export function symbolTable(symbols: DeclSymbol[]): SymbolTable {
  const table: SymbolTable = { targets: new Map(), nets: new Map(), blocks: new Map(), tasks: new Map() };
  for (const s of symbols) {
    if (s.kind === 'target' && !table.targets.has(s.name)) table.targets.set(s.name, s.decl);
    if (s.kind === 'net' && !table.nets.has(s.name)) table.nets.set(s.name, s.decl);
    if (s.kind === 'block' && !table.blocks.has(s.name)) table.blocks.set(s.name, s.decl);
    if (s.kind === 'task' && !table.tasks.has(s.name)) table.tasks.set(s.name, s.decl);
  }
  return table;
}
