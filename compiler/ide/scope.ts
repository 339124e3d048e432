// What the name under a cursor refers to: a local (a parameter or `let` of the enclosing net or
// block), a declaration of this module or of one it `use`s, a builtin, a task field, a named
// argument, or the module a `use` loads. Hover, go to definition and references all start here.
import type { Builtin } from '../resolve/builtins.js';
import { lookup, type DeclSymbol, type ResolvedModule } from '../resolve/resolve.js';
import type { TaskFieldSpec } from '../resolve/task-schema.js';
import type {
  Argument, CallExpr, FunctionDecl, Identifier, LetStatement, NameRef, Node, Parameter, Preset, Span, Statement, UseDecl,
} from '../syntax/ast.js';
import { nodesAt } from './ast-walk.js';
import { builtinsNamed, TASK_FIELDS } from './vocabulary.js';

export type Referent =
  | { kind: 'decl'; symbol: DeclSymbol }
  | { kind: 'param'; decl: FunctionDecl; param: Parameter }
  | { kind: 'let'; decl: FunctionDecl; binding: LetStatement }
  | { kind: 'builtin'; builtins: Builtin[] }
  /** A named argument of a builtin call (`over:` in `mean(x, over: set)`). */
  | { kind: 'argument'; name: string; builtins: Builtin[] }
  | { kind: 'field'; spec: TaskFieldSpec }
  | { kind: 'module'; use: UseDecl; path: string | undefined };

export interface NameAt {
  name: string;
  /** The span of the name itself. */
  span: Span;
  referent: Referent | undefined;
}

/** The name at `offset` in `module` and what it refers to (undefined when the cursor is on no name). */
export function nameAt(module: ResolvedModule, offset: number): NameAt | undefined {
  const path = nodesAt(module.program, offset);
  const node = path.at(-1)!;
  const parent = path.at(-2);
  const fn = path.find((n): n is FunctionDecl => 'kind' in n && (n.kind === 'net' || n.kind === 'block'));
  const inTask = path.some((n) => 'kind' in n && n.kind === 'task');
  if ('kind' in node && node.kind === 'use') {
    const use = node as UseDecl;
    return { name: use.path, span: use.span, referent: { kind: 'module', use, path: module.imports.find((i) => i.decl === use)?.path } };
  }
  if ('kind' in node && node.kind === 'name') {
    const name = (node as NameRef).name;
    return { name, span: node.span, referent: resolveName(module, name, offset, fn, inTask) };
  }
  if (!isIdentifier(node) || parent === undefined) return undefined;
  const name = node.name;
  const at = { name, span: node.span };
  const p = parent as Node & { kind?: string };
  if (p.kind === 'call' && (p as CallExpr).callee === node) {
    return { ...at, referent: resolveName(module, name, offset, fn, inTask) };
  }
  if (p.kind === 'let' && fn !== undefined) return { ...at, referent: { kind: 'let', decl: fn, binding: p as LetStatement } };
  if (fn !== undefined && fn.params.includes(p as Parameter)) return { ...at, referent: { kind: 'param', decl: fn, param: p as Parameter } };
  if ((p.kind === 'net' || p.kind === 'block' || p.kind === 'target' || p.kind === 'task') && (p as unknown as { name: Identifier }).name === node) {
    const symbol = lookup(module, name);
    return { ...at, referent: symbol === undefined ? undefined : { kind: 'decl', symbol } };
  }
  // A task's or preset's `key: value`.
  const owner = path.at(-3) as (Node & { kind?: string }) | undefined;
  if (inTask && 'key' in p && (p as { key: Identifier }).key === node && (owner?.kind === 'task' || isPreset(owner))) {
    const spec = TASK_FIELDS.find((f) => f.name === name);
    return { ...at, referent: spec === undefined ? undefined : { kind: 'field', spec } };
  }
  // A named argument `over: set` refers to the callee's parameter.
  if ('value' in p && (p as Argument).name === node && owner !== undefined && owner.kind === 'call') {
    const callee = (owner as CallExpr).callee.name;
    const sym = lookup(module, callee);
    if (sym !== undefined && (sym.kind === 'net' || sym.kind === 'block')) {
      const param = sym.decl.params.find((x) => x.name.name === name);
      if (param !== undefined) return { ...at, referent: { kind: 'param', decl: sym.decl, param } };
    }
    const builtins = builtinsNamed(callee, inTask).filter((b) => b.params.some((x) => x.name === name));
    return { ...at, referent: builtins.length === 0 ? undefined : { kind: 'argument', name, builtins } };
  }
  return { ...at, referent: undefined };
}

/** A name used at `offset`: the innermost local binding visible there, else a declaration, else a builtin. */
export function resolveName(module: ResolvedModule, name: string, offset: number, fn: FunctionDecl | undefined, inTask: boolean): Referent | undefined {
  if (fn !== undefined) {
    const local = visibleLocals(fn, offset).filter((l) => l.name === name).at(-1);
    if (local !== undefined) return local.referent;
  }
  const symbol = lookup(module, name);
  if (symbol !== undefined) return { kind: 'decl', symbol };
  const builtins = builtinsNamed(name, inTask);
  return builtins.length === 0 ? undefined : { kind: 'builtin', builtins };
}

export interface LocalBinding {
  name: string;
  referent: Referent;
}

/** The parameters and the `let`s that have ended before `offset`, in order (a later one shadows). */
export function visibleLocals(fn: FunctionDecl, offset: number): LocalBinding[] {
  const out: LocalBinding[] = fn.params.map((param) => ({ name: param.name.name, referent: { kind: 'param', decl: fn, param } }));
  const visit = (body: readonly Statement[]): void => {
    for (const s of body) {
      if (s.kind === 'let' && s.span.end.offset <= offset) out.push({ name: s.name.name, referent: { kind: 'let', decl: fn, binding: s } });
      // `repeat` unrolls into the enclosing scope, so its lets stay visible after it.
      if (s.kind === 'repeat') visit(s.body);
    }
  };
  visit(fn.body);
  return out;
}

/** Where a referent is declared: its name's span (undefined for builtins and fields). */
export function definitionSpan(referent: Referent): Span | undefined {
  switch (referent.kind) {
    case 'decl': return referent.symbol.decl.name.span;
    case 'param': return referent.param.name.span;
    case 'let': return referent.binding.name.span;
    default: return undefined;
  }
}

function isIdentifier(node: Node): node is Identifier {
  return 'name' in node && typeof (node as { name: unknown }).name === 'string' && !('kind' in node);
}

function isPreset(node: Node | undefined): node is Preset {
  return node !== undefined && !('kind' in node) && 'fields' in node && 'name' in node;
}
