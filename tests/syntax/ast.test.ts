// Golden ASTs: representative files parse to the expected tree (spans stripped and checked
// separately), and key nodes carry the exact spans diagnostics will point at.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Expr } from '../../compiler/syntax/ast.js';
import { parseSource } from '../../compiler/syntax/parse.js';
import { matchGolden } from '../fixtures/golden.js';

const repo = join(import.meta.dirname, '..', '..');

function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'span').map(([k, v]) => [k, withoutSpans(v)]));
}

describe('golden ASTs', () => {
  for (const file of ['std/layers.gmn', 'std/gradmetanet_pp.gmn', 'dsl-examples/curvature.gmn']) {
    it(file, () => {
      const { program, diagnostics } = parseSource(readFileSync(join(repo, file), 'utf8'), file);
      expect(diagnostics).toEqual([]);
      matchGolden(join(import.meta.dirname, '__snapshots__', `${file.replace(/\//g, '_')}.ast.json`), JSON.stringify(withoutSpans(program), null, 1));
    });
  }
});

describe('expressions and spans', () => {
  const text = 'target T = mlp(widths: [1, 32,], activation: sine(omega0: 1e-3), init: gaussian)\n' +
    'net f(x: grads(T, b)[2], k: int = 2,) -> weights(T)[k] {\n  let y = -x * 2.5E+4 + x / 3 - x\n  return y[1]\n}\n';
  const { program, diagnostics } = parseSource(text, 'inline.gmn');

  it('parses without diagnostics', () => expect(diagnostics).toEqual([]));

  it('number literals: values and isInteger', () => {
    const target = program.declarations[0]!;
    if (target.kind !== 'target' || target.value.kind !== 'call') throw new Error('expected a target call');
    const widths = target.value.args[0]!.value;
    expect(withoutSpans(widths)).toEqual({ kind: 'list', items: [{ kind: 'number', value: 1, isInteger: true }, { kind: 'number', value: 32, isInteger: true }] });
    const sine = target.value.args[1]!.value;
    expect(withoutSpans(sine)).toEqual({ kind: 'call', callee: { name: 'sine' }, args: [{ name: { name: 'omega0' }, value: { kind: 'number', value: 1e-3, isInteger: false } }] });
  });

  it('operator precedence and associativity: ((-x * 2.5e4) + (x / 3)) - x', () => {
    const fn = program.declarations[1]!;
    if (fn.kind !== 'net') throw new Error('expected a net');
    const let_ = fn.body[0]!;
    if (let_.kind !== 'let') throw new Error('expected let');
    const show = (e: Expr): string => e.kind === 'binary' ? `(${show(e.left)} ${e.op} ${show(e.right)})`
      : e.kind === 'unary' ? `-${show(e.operand)}` : e.kind === 'name' ? e.name : e.kind === 'number' ? String(e.value) : e.kind;
    expect(show(let_.value)).toBe('(((-x * 25000) + (x / 3)) - x)');
  });

  it('spans: declaration names, parameters, the return type and an index expression', () => {
    const fn = program.declarations[1]!;
    if (fn.kind !== 'net') throw new Error('expected a net');
    expect(fn.name.span.start).toEqual({ offset: 85, line: 2, column: 5 });
    expect(fn.params.map((p) => [p.name.name, p.span.start.column, p.span.end.column])).toEqual([['x', 7, 24], ['k', 26, 36]]);
    expect(fn.params[1]!.default).toMatchObject({ kind: 'number', value: 2 });
    expect([fn.returnType.span.start.column, fn.returnType.span.end.column]).toEqual([42, 55]);
    const ret = fn.body[1]!;
    if (ret.kind !== 'return') throw new Error('expected return');
    expect(ret.value).toMatchObject({ kind: 'index', span: { start: { line: 4, column: 10 }, end: { line: 4, column: 14 } } });
    expect(fn.span.start.line).toBe(2);
    expect(fn.span.end).toMatchObject({ line: 5, column: 2 });
  });

  it('strings decode escapes; comments are skipped', () => {
    const r = parseSource('/* a\n comment */ task t { note: "a\\"b\\n", // trailing\n }', 's.gmn');
    expect(r.diagnostics).toEqual([]);
    const task = r.program.declarations[0]!;
    if (task.kind !== 'task') throw new Error('expected a task');
    expect(task.fields[0]!.value).toMatchObject({ kind: 'string', value: 'a"b\n' });
  });
});
