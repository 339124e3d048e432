// Golden kernel text: the fused elementwise chain and the plan a small graph compiles to.
// To update after an intended change: GMN_UPDATE_GOLDEN=1 npx vitest run tests/wgsl/golden.test.ts
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapKernel, type Expr } from '../../compiler/wgsl/elementwise.js';
import { matchGolden } from '../fixtures/golden.js';

const golden = (name: string, text: string): void => matchGolden(resolve(import.meta.dirname, 'golden', name), text);

describe('fused elementwise kernels', () => {
  it('relu(x0·f0 + x1) selected against -x0 is one kernel that reads top-down like the IR', () => {
    const x = (index: number): Expr => ({ kind: 'input', index });
    const expr: Expr = {
      kind: 'select',
      mask: x(2),
      a: { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: { kind: 'scale', x: x(0), factor: 0.5 }, b: x(1) } },
      b: { kind: 'unary', fn: 'neg', x: x(0) },
    };
    const kernel = mapKernel(expr, 'fused');
    expect(kernel.bindings.map((b) => b.name)).toEqual(['x0', 'x1', 'x2', 'out']);
    golden('fused-select-relu.wgsl', kernel.source);
  });
});
