// Completion: what may be typed at the cursor. Inside a call's parentheses, its named arguments
// first; in a task or preset, its fields; in a net or block, the locals in scope; everywhere, the
// declarations visible in the module, the builtins and the keywords.
import { BUILTINS, type Builtin } from '../resolve/builtins.js';
import type { ResolvedModule } from '../resolve/resolve.js';
import type { CallExpr, FunctionDecl, Node } from '../syntax/ast.js';
import { nodesAt } from './ast-walk.js';
import { visibleLocals } from './scope.js';
import { builtinSignature, builtinsNamed, KEYWORDS, TASK_CALLS, TASK_FIELDS } from './vocabulary.js';

export type CompletionKind = 'keyword' | 'function' | 'variable' | 'field' | 'property' | 'class' | 'module';

export interface Completion {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  /** Text inserted instead of the label (`over: ` for a named argument). */
  insertText?: string;
}

export function completionsAt(module: ResolvedModule, offset: number): Completion[] {
  const path = nodesAt(module.program, offset);
  const kindOf = (n: Node): string | undefined => ('kind' in n ? String(n.kind) : undefined);
  const fn = path.find((n): n is FunctionDecl => kindOf(n) === 'net' || kindOf(n) === 'block');
  const inTask = path.some((n) => kindOf(n) === 'task');
  const out: Completion[] = [];
  // The innermost call whose parentheses hold the cursor (not its callee).
  const call = path.filter((n): n is CallExpr => kindOf(n) === 'call').at(-1);
  if (call !== undefined && offset > call.callee.span.end.offset) out.push(...namedArguments(module, call, inTask));
  if (inTask) {
    for (const f of TASK_FIELDS) out.push({ label: f.name, kind: 'field', insertText: `${f.name}: `, documentation: f.doc, detail: 'task field' });
  }
  if (fn !== undefined) {
    for (const local of visibleLocals(fn, offset)) {
      if (!out.some((c) => c.label === local.name)) out.push({ label: local.name, kind: 'variable', detail: local.referent.kind === 'param' ? 'parameter' : 'let' });
    }
  }
  for (const s of module.visible.values()) {
    out.push({ label: s.name, kind: s.kind === 'target' ? 'class' : s.kind === 'task' ? 'module' : 'function', detail: s.kind });
  }
  const builtins: readonly Builtin[] = inTask ? [...TASK_CALLS, ...BUILTINS] : BUILTINS;
  for (const b of builtins) {
    if (!out.some((c) => c.label === b.name)) out.push({ label: b.name, kind: 'function', detail: builtinSignature(b), documentation: b.doc });
  }
  for (const k of KEYWORDS) out.push({ label: k, kind: 'keyword' });
  return out;
}

/** The named arguments of the call's callee: a net's or block's parameters, or a builtin's. */
function namedArguments(module: ResolvedModule, call: CallExpr, inTask: boolean): Completion[] {
  const given = new Set(call.args.flatMap((a) => (a.name === undefined ? [] : [a.name.name])));
  const sym = module.visible.get(call.callee.name);
  const params = sym !== undefined && (sym.kind === 'net' || sym.kind === 'block')
    ? sym.decl.params.map((p) => ({ name: p.name.name, detail: module.source.slice(p.span.start.offset, p.span.end.offset) }))
    : (builtinsNamed(call.callee.name, inTask)[0]?.params ?? []).map((p) => ({ name: p.name, detail: `${p.name}${p.optional ? '?' : ''}` }));
  return params.filter((p) => !given.has(p.name)).map((p) => ({ label: p.name, kind: 'property', insertText: `${p.name}: `, detail: p.detail }));
}
