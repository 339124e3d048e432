import { describe, expect, it } from 'vitest';
import { biasMask, blockOf, incidence, positionalIds, posencTable, segmentOf } from '../../compiler/spaces/tables.js';
import { mlpLayout } from '../../compiler/spaces/target.js';

// widths [2, 3, 1]: neurons 0-1 (in), 2-4 (hidden), 5 (out); params W1 (3×2) b1 (3) W2 (1×3) b2 (1).
const layout = mlpLayout('T', { kind: 'mlp', widths: [2, 3, 1], activation: { kind: 'relu' }, init: 'kaiming' });

describe('constant tables', () => {
  it('incidence: rows write, cols read (−1 for biases)', () => {
    const { rows, cols } = incidence(layout);
    expect([...rows]).toEqual([2, 2, 3, 3, 4, 4, 2, 3, 4, 5, 5, 5, 5]);
    expect([...cols]).toEqual([0, 1, 0, 1, 0, 1, -1, -1, -1, 2, 3, 4, -1]);
  });
  it('bias mask, segment and block of every position', () => {
    expect([...biasMask(layout)]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1]);
    expect([...segmentOf(layout)]).toEqual([0, 0, 1, 1, 1, 2]);
    expect([...blockOf(layout)]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
  });
  it('positional ids: fixed neurons their own, a hidden layer one shared id; unique ids all distinct', () => {
    expect([...positionalIds(layout, 'segment')]).toEqual([0, 1, 2, 2, 2, 3]);
    expect([...positionalIds(layout, 'unique')]).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('posenc rows are sin/cos of the id at geometric frequencies; equal ids give equal rows', () => {
    const dim = 5;
    const pe = posencTable(layout, dim, 'segment');
    const row = (n: number) => [...pe.subarray(n * dim, (n + 1) * dim)];
    expect(row(1)[0]).toBeCloseTo(Math.sin(1), 15);
    expect(row(1)[1]).toBeCloseTo(Math.cos(1), 15);
    expect(row(5)[2]).toBeCloseTo(Math.sin(3 * 10000 ** (-2 / 5)), 15);
    expect(row(2)).toEqual(row(4));
    expect(row(0)).not.toEqual(row(5));
  });
});
