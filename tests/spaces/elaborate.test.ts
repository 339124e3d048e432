import { describe, expect, it } from 'vitest';
import type { Argument, Expr, Span } from '../../compiler/syntax/ast.js';
import { elaborateTarget, itemsPerExample, targetSpec } from '../../compiler/spaces/elaborate.js';

// Hand-built ASTs (the parser is another stage); every node gets a distinct column so spans are checkable.
let col = 1;
const span = (): Span => {
  const c = col++;
  return { file: 't.gmn', start: { offset: c - 1, line: 1, column: c }, end: { offset: c, line: 1, column: c + 1 } };
};
const num = (value: number): Expr => ({ kind: 'number', value, isInteger: Number.isInteger(value), span: span() });
const name = (n: string): Expr => ({ kind: 'name', name: n, span: span() });
const arg = (key: string, value: Expr): Argument => ({ name: { name: key, span: span() }, value, span: span() });
const call = (callee: string, args: Argument[]): Expr => ({ kind: 'call', callee: { name: callee, span: span() }, args, span: span() });
const list = (xs: number[]): Expr => ({ kind: 'list', items: xs.map(num), span: span() });

describe('target elaboration', () => {
  it('lays out an mlp: segments, hidden groups, parameter blocks', () => {
    const value = call('mlp', [arg('widths', list([1, 32, 32, 1])), arg('activation', call('sine', [arg('omega0', num(30))]))]);
    const r = elaborateTarget({ kind: 'target', name: { name: 'Siren', span: span() }, value, span: span() });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec).toEqual({ kind: 'mlp', widths: [1, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
    expect(r.value.segments.map((s) => s.group)).toEqual([null, 'Siren.layer1', 'Siren.layer2', null]);
    expect(r.value.neuronCount).toBe(66);
    expect(r.value.paramCount).toBe(32 + 32 + 32 * 32 + 32 + 32 + 1);
  });

  it('applies the init default from the activation and reads an explicit init', () => {
    const relu = targetSpec(call('mlp', [arg('widths', list([2, 3])), arg('activation', name('relu'))]));
    expect(relu.ok && relu.value.kind === 'mlp' && relu.value.init).toBe('kaiming');
    const g = targetSpec(call('mlp', [arg('widths', list([2, 3])), arg('activation', name('tanh')), arg('init', name('gaussian'))]));
    expect(g.ok && g.value.kind === 'mlp' && g.value.init).toBe('gaussian');
  });

  it('rejects a non-positive width at its span', () => {
    const bad = num(0);
    const r = targetSpec(call('mlp', [arg('widths', { kind: 'list', items: [num(2), bad], span: span() }), arg('activation', name('relu'))]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]!.message).toBe('a layer width must be a positive integer');
    expect(r.diagnostics[0]!.span).toEqual(bad.span);
  });

  it('lays out a transformer: residual segments tied in one group', () => {
    const ints = (pairs: [string, number][]) => pairs.map(([k, v]) => arg(k, num(v)));
    const value = call('transformer', ints([['vocab', 16], ['d_model', 8], ['heads', 2], ['blocks', 1], ['ffn', 16], ['seq', 4]]));
    const spec = targetSpec(value);
    expect(spec.ok && spec.value.kind === 'transformer' && spec.value.headDim).toBe(4);
    const r = elaborateTarget({ kind: 'target', name: { name: 'Lm', span: span() }, value, span: span() });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const residual = r.value.segments.filter((s) => s.group === 'Lm.residual');
    expect(residual.length).toBeGreaterThan(1);
    expect(residual.every((s) => s.size === 8)).toBe(true);
  });

  it('rejects heads that do not divide d_model', () => {
    const ints = (pairs: [string, number][]) => pairs.map(([k, v]) => arg(k, num(v)));
    const r = targetSpec(call('transformer', ints([['vocab', 16], ['d_model', 9], ['heads', 2], ['blocks', 1], ['ffn', 16], ['seq', 4]])));
    expect(!r.ok && r.diagnostics[0]!.message).toBe('d_model (9) is not divisible by heads (2)');
  });

  it('lays out a cnn: k² patch segments per conv layer tied to the previous layer\'s channels, P positions per example', () => {
    const value = call('cnn', [arg('channels', list([1, 4, 8])), arg('kernel', num(3)), arg('height', num(6)), arg('width', num(5)),
      arg('head', list([16, 1])), arg('activation', name('relu'))]);
    const r = elaborateTarget({ kind: 'target', name: { name: 'Conv', span: span() }, value, span: span() });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec).toEqual({ kind: 'cnn', channels: [1, 4, 8], kernel: 3, height: 6, width: 5, head: [16, 1], activation: { kind: 'relu' } });
    const groups = (g: string | null) => r.value.segments.filter((s) => s.group === g).map((s) => s.size);
    // conv1's 9 patches read the image (fixed); conv2's 9 patches are conv1's 4 channels, permuted with conv1's output.
    expect(groups('Conv.conv1')).toEqual([...Array(9).fill(4), 4]);
    expect(groups('Conv.conv2')).toEqual([8]);
    expect(groups('Conv.head1')).toEqual([16]);
    expect(groups(null)).toEqual([...Array(9).fill(1), 1]);
    expect(r.value.paramCount).toBe(9 * 4 * 1 + 4 + 9 * 8 * 4 + 8 + 16 * 8 + 16 + 16 + 1);
    expect(itemsPerExample(r.value.spec)).toBe(30);
  });
});
