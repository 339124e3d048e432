// CST (Chevrotain's concrete tree, labels from parser.ts) → AST (ast.ts) with a span on every
// node. Error recovery can leave pieces out of the CST; each converter then still returns a node
// (a missing name reads as `""`, a missing expression as the name `""`) so later code never sees
// holes, and the file's syntax errors have already been reported.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type {
  Annotation, Argument, BinaryOperator, Declaration, Expr, FunctionDecl, Identifier, Parameter, Preset, Program,
  RecordField, Span, Statement, TaskDecl, TaskField,
} from './ast.js';
import type { LineMap } from './line-map.js';
import { UnterminatedString } from './tokens.js';

export function toAst(cst: CstNode, lines: LineMap, diagnostics: Diagnostic[]): Program {
  return new AstBuilder(lines, diagnostics).program(cst);
}

class AstBuilder {
  constructor(
    private readonly lines: LineMap,
    private readonly diagnostics: Diagnostic[],
  ) {}

  program(node: CstNode): Program {
    const declarations: Declaration[] = [];
    for (const d of subs(node, 'declaration')) {
      const decl = this.declaration(d);
      if (decl !== undefined) declarations.push(decl);
    }
    return { span: this.lines.span(0, this.lines.text.length), declarations };
  }

  private declaration(node: CstNode): Declaration | undefined {
    const use = sub(node, 'useDecl');
    if (use) return { kind: 'use', path: tok(use, 'path')?.image ?? '', span: this.span(use) };
    const target = sub(node, 'targetDecl');
    if (target) return { kind: 'target', name: this.ident(target, 'name'), value: this.expr(sub(target, 'value'), target), span: this.span(target) };
    const fn = sub(node, 'functionDecl');
    if (fn) return this.functionDecl(fn);
    const task = sub(node, 'taskDecl');
    if (task) return this.taskDecl(task);
    return undefined;
  }

  private functionDecl(node: CstNode): FunctionDecl {
    return {
      kind: tok(node, 'kind')?.image === 'block' ? 'block' : 'net',
      annotations: subs(node, 'annotation').map((a) => this.annotation(a)),
      name: this.ident(node, 'name'),
      params: subs(node, 'param').map((p) => this.param(p)),
      returnType: this.expr(sub(node, 'returnType'), node),
      body: this.body(sub(node, 'body')),
      span: this.span(node),
    };
  }

  private annotation(node: CstNode): Annotation {
    return { name: this.ident(node, 'name'), args: this.args(sub(node, 'argList')), span: this.span(node) };
  }

  private param(node: CstNode): Parameter {
    const def = sub(node, 'default');
    const param: Parameter = { name: this.ident(node, 'name'), type: this.expr(sub(node, 'type'), node), span: this.span(node) };
    if (def) param.default = this.expr(def, node);
    return param;
  }

  private body(node: CstNode | undefined): Statement[] {
    if (node === undefined) return [];
    const out: Statement[] = [];
    for (const s of subs(node, 'statement')) {
      const statement = this.statement(s);
      if (statement !== undefined) out.push(statement);
    }
    return out;
  }

  private statement(node: CstNode): Statement | undefined {
    const let_ = sub(node, 'letStatement');
    if (let_) return { kind: 'let', name: this.ident(let_, 'name'), value: this.expr(sub(let_, 'value'), let_), span: this.span(let_) };
    const repeat = sub(node, 'repeatStatement');
    if (repeat) return { kind: 'repeat', count: this.expr(sub(repeat, 'count'), repeat), body: this.body(sub(repeat, 'body')), span: this.span(repeat) };
    const ret = sub(node, 'returnStatement');
    if (ret) return { kind: 'return', value: this.expr(sub(ret, 'value'), ret), span: this.span(ret) };
    return undefined;
  }

  private taskDecl(node: CstNode): TaskDecl {
    const fields: TaskField[] = [];
    const presets: Preset[] = [];
    for (const entry of subs(node, 'taskEntry')) {
      const preset = sub(entry, 'preset');
      const field = sub(entry, 'field');
      if (preset) presets.push({ name: this.ident(preset, 'name'), fields: this.fields(sub(preset, 'record')), span: this.span(preset) });
      else if (field) fields.push(this.field(field));
    }
    return { kind: 'task', name: this.ident(node, 'name'), fields, presets, span: this.span(node) };
  }

  private fields(record: CstNode | undefined): RecordField[] {
    return record === undefined ? [] : subs(record, 'field').map((f) => this.field(f));
  }

  private field(node: CstNode): RecordField {
    return { key: this.ident(node, 'key'), value: this.expr(sub(node, 'value'), node), span: this.span(node) };
  }

  // ---- expressions ----------------------------------------------------------------------------

  /** `node` is an `expression` CST node; `parent` places a placeholder when it is missing. */
  private expr(node: CstNode | undefined, parent: CstNode): Expr {
    const additive = node && sub(node, 'additive');
    if (additive === undefined) return this.placeholder(parent);
    return this.binaryChain(additive, (n) => this.binaryChain(n, (u) => this.unary(u)));
  }

  /** Left-associative `operand (op operand)*`. */
  private binaryChain(node: CstNode, operand: (n: CstNode) => Expr): Expr {
    const operands = subs(node, 'operands');
    const operators = toks(node, 'operators');
    if (operands.length === 0) return this.placeholder(node);
    let left = operand(operands[0]!);
    for (let i = 1; i < operands.length; i++) {
      const right = operand(operands[i]!);
      const op = (operators[i - 1]?.image ?? '+') as BinaryOperator;
      left = { kind: 'binary', op, left, right, span: this.join(left.span, right.span) };
    }
    return left;
  }

  private unary(node: CstNode): Expr {
    const operand = sub(node, 'operand');
    if (operand) return { kind: 'unary', op: '-', operand: this.unary(operand), span: this.span(node) };
    const postfix = sub(node, 'postfix');
    return postfix ? this.postfix(postfix) : this.placeholder(node);
  }

  private postfix(node: CstNode): Expr {
    const primary = sub(node, 'primary');
    let base = primary ? this.primary(primary) : this.placeholder(node);
    const closers = toks(node, 'RBracket');
    subs(node, 'indices').forEach((indexNode, i) => {
      const index = this.expr(indexNode, node);
      const close = closers[i];
      const end = close ? tokenEnd(close) : index.span.end.offset;
      base = { kind: 'index', base, index, span: this.lines.span(base.span.start.offset, end) };
    });
    return base;
  }

  private primary(node: CstNode): Expr {
    const span = this.span(node);
    const number = tok(node, 'NumberLiteral');
    if (number) return { kind: 'number', value: numberValue(number.image), isInteger: /^\d+$/.test(number.image), span };
    const string = tok(node, 'StringLiteral');
    if (string) return { kind: 'string', value: this.unescape(string), span };
    if (tok(node, 'True')) return { kind: 'bool', value: true, span };
    if (tok(node, 'False')) return { kind: 'bool', value: false, span };
    const callOrName = sub(node, 'callOrName');
    if (callOrName) {
      const name = this.ident(callOrName, 'name');
      if (tok(callOrName, 'LParen') === undefined) return { kind: 'name', name: name.name, span: name.span };
      return { kind: 'call', callee: name, args: this.args(sub(callOrName, 'argList')), span };
    }
    const list = sub(node, 'list');
    if (list) return { kind: 'list', items: subs(list, 'items').map((i) => this.expr(i, list)), span };
    const record = sub(node, 'record');
    if (record) return { kind: 'record', fields: this.fields(record), span };
    const paren = sub(node, 'parenthesized');
    if (paren) return this.expr(sub(paren, 'expression'), paren);
    return this.placeholder(node);
  }

  private args(node: CstNode | undefined): Argument[] {
    if (node === undefined) return [];
    return subs(node, 'argument').map((a) => {
      const arg: Argument = { value: this.expr(sub(a, 'value'), a), span: this.span(a) };
      if (tok(a, 'name')) arg.name = this.ident(a, 'name');
      return arg;
    });
  }

  // ---- leaves and spans -----------------------------------------------------------------------

  private ident(node: CstNode, label: string): Identifier {
    const t = tok(node, label);
    if (t === undefined) return { name: '', span: this.emptySpanAt(node) };
    return { name: t.image, span: this.lines.span(t.startOffset, tokenEnd(t)) };
  }

  private placeholder(node: CstNode): Expr {
    return { kind: 'name', name: '', span: this.emptySpanAt(node) };
  }

  private span(node: CstNode): Span {
    const range = tokenRange(node);
    return range ? this.lines.span(range[0], range[1]) : this.emptySpanAt(node);
  }

  private emptySpanAt(node: CstNode): Span {
    const range = tokenRange(node);
    const at = range ? range[1] : 0;
    return this.lines.span(at, at);
  }

  private join(a: Span, b: Span): Span {
    return this.lines.span(a.start.offset, b.end.offset);
  }

  /** The value of a string literal; an unknown escape is reported and kept as written. */
  private unescape(token: IToken): string {
    const body = token.image.slice(1, token.tokenType === UnterminatedString ? undefined : -1);
    return body.replace(/\\(.)/g, (whole, ch: string, at: number) => {
      const known = ESCAPES[ch];
      if (known !== undefined) return known;
      const offset = token.startOffset + 1 + at;
      this.diagnostics.push(error('syntax/unknown-escape', `unknown escape \`${whole}\` in string`, this.lines.span(offset, offset + 2),
        'the escapes are \\n, \\t, \\r, \\" and \\\\'));
      return whole;
    });
  }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function numberValue(image: string): number {
  const v = Number(image);
  return Number.isFinite(v) ? v : 0;
}

function isToken(e: CstElement): e is IToken {
  return 'image' in e;
}

/** Tokens inserted by recovery have no place in the text. */
function isReal(t: IToken): boolean {
  return t.isInsertedInRecovery !== true && Number.isFinite(t.startOffset);
}

function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

function subs(node: CstNode, label: string): CstNode[] {
  return (node.children[label] ?? []).filter((e): e is CstNode => !isToken(e));
}

function sub(node: CstNode, label: string): CstNode | undefined {
  return subs(node, label)[0];
}

function toks(node: CstNode, label: string): IToken[] {
  return (node.children[label] ?? []).filter((e): e is IToken => isToken(e) && isReal(e));
}

function tok(node: CstNode, label: string): IToken | undefined {
  return toks(node, label)[0];
}

/** [first offset, end offset) of the real tokens under `node`, or undefined when it has none. */
function tokenRange(node: CstNode): [number, number] | undefined {
  const loc = node.location;
  if (loc && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset)) return [loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const children of Object.values(node.children)) {
    for (const e of children) {
      if (isToken(e)) {
        if (!isReal(e)) continue;
        lo = Math.min(lo, e.startOffset);
        hi = Math.max(hi, tokenEnd(e));
      } else {
        const r = tokenRange(e);
        if (r) {
          lo = Math.min(lo, r[0]);
          hi = Math.max(hi, r[1]);
        }
      }
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}
