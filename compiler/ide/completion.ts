// Completion: what may be typed at the cursor. After `use`, the standard library's modules. Inside
// a call's parentheses, its named arguments first; in a task or preset, its fields; in a net or block, the locals in scope; everywhere, the
// declarations visible in the module, the builtins and the keywords.
import { BUILTINS, type Builtin } from '../resolve/builtins.js';
import type { ResolvedModule } from '../resolve/resolve.js';
import { tokenMatcher, type IToken } from 'chevrotain';
import type { FunctionDecl, Node } from '../syntax/ast.js';
import { lex } from '../syntax/lexer.js';
import { LineMap } from '../syntax/line-map.js';
import { Colon, Identifier, LBrace, LBracket, LParen, RBrace, RBracket, RParen } from '../syntax/tokens.js';
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

/** `stdModules`: the standard library's module names (`layers`), offered after `use`. */
export function completionsAt(module: ResolvedModule, offset: number, stdModules: readonly string[] = []): Completion[] {
  const lineStart = module.source.lastIndexOf('\n', offset - 1) + 1;
  if (/^\s*use\s+\S*$/.test(module.source.slice(lineStart, offset))) {
    return stdModules.map((name) => ({ label: `std/${name}`, kind: 'module', detail: 'standard library' }));
  }
  const path = nodesAt(module.program, offset);
  const kindOf = (n: Node): string | undefined => ('kind' in n ? String(n.kind) : undefined);
  const fn = path.find((n): n is FunctionDecl => kindOf(n) === 'net' || kindOf(n) === 'block');
  const inTask = path.some((n) => kindOf(n) === 'task');
  const out: Completion[] = [];
  const call = openCallAt(module.source, offset);
  if (call !== undefined) out.push(...namedArguments(module, call, inTask));
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

interface OpenCall {
  callee: string;
  /** The named arguments already written. */
  given: Set<string>;
}

/**
 * The innermost call whose `(` is open at `offset`, read from the tokens: while the user types,
 * the call is unfinished (`mean(y, `) and the recovering parser's tree may not hold it.
 */
function openCallAt(source: string, offset: number): OpenCall | undefined {
  const { tokens } = lex(new LineMap('', source));
  const isOpen = (t: IToken): boolean => t.tokenType === LParen || t.tokenType === LBracket || t.tokenType === LBrace;
  const isClose = (t: IToken): boolean => t.tokenType === RParen || t.tokenType === RBracket || t.tokenType === RBrace;
  const open: number[] = [];
  for (let i = 0; i < tokens.length && tokens[i]!.startOffset < offset; i++) {
    if (isOpen(tokens[i]!)) open.push(i);
    else if (isClose(tokens[i]!)) open.pop();
  }
  const at = open.at(-1);
  const callee = at === undefined ? undefined : tokens[at - 1];
  if (at === undefined || tokens[at]!.tokenType !== LParen || callee === undefined || !tokenMatcher(callee, Identifier)) return undefined;
  // The arguments already named, before and after the cursor, up to the matching `)`.
  const given = new Set<string>();
  for (let i = at + 1, depth = 1; i < tokens.length && depth > 0; i++) {
    const t = tokens[i]!;
    if (isOpen(t)) depth++;
    else if (isClose(t)) depth--;
    else if (depth === 1 && t.tokenType === Colon) given.add(tokens[i - 1]!.image);
  }
  return { callee: callee.image, given };
}

/** The named arguments of the call's callee not yet given: a net's or block's parameters, or a builtin's. */
function namedArguments(module: ResolvedModule, call: OpenCall, inTask: boolean): Completion[] {
  const sym = module.visible.get(call.callee);
  const params = sym !== undefined && (sym.kind === 'net' || sym.kind === 'block')
    ? sym.decl.params.map((p) => ({ name: p.name.name, detail: module.source.slice(p.span.start.offset, p.span.end.offset) }))
    : (builtinsNamed(call.callee, inTask)[0]?.params ?? []).map((p) => ({ name: p.name, detail: `${p.name}${p.optional ? '?' : ''}` }));
  return params.filter((p) => !call.given.has(p.name)).map((p) => ({ label: p.name, kind: 'property', insertText: `${p.name}: `, detail: p.detail }));
}
