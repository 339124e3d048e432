// linear-of-site-term on UNF's update net (an np-group eqlinear of 32 channels into 1): after the
// net pass every site term reads one channel, and the net computes the same function (float64).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { lowerUpdateNet } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { expectSameFunction } from './check.js';

const layout = mlpLayout('Small', { kind: 'mlp', widths: [4, 5, 3], activation: { kind: 'relu' }, init: 'kaiming' });

describe('linear-of-site-term', () => {
  it('moves UNF\'s readout matmuls before its site terms: every site term runs on 1 channel, same function', () => {
    const file = join(import.meta.dirname, 'unf.gmn');
    const source = 'use std/optimizers\ntarget Small = mlp(widths: [4, 5, 3], activation: relu)\n';
    const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
    expect(diagnostics).toEqual([]);
    const net = lowerUpdateNet({ program, module: program.roots[0]!, net: 'unf_optimizer', args: new Map([['hidden', 8]]), target: layout, setSize: 4 });
    const terms = (g: typeof net.graph) => g.nodes.filter((n) => n.op.op === 'site_term');
    expect(terms(net.graph).every((n) => n.type.channels === 8)).toBe(true);
    const after = optimizeNet(net.graph, net.inst);
    expect(terms(after).length).toBe(terms(net.graph).length);
    expect(terms(after).every((n) => n.type.channels === 1)).toBe(true);
    expectSameFunction(net.graph, after, net.inst);
  });
});
