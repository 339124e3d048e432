// `gmn explain --json` on the curvature example: one certificate per trained net, with the
// paper's statement and the eqlinear basis sizes.
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { explainCommand } from '../../runtime/cli/commands/explain.js';
import { capture } from '../cli/capture.js';

afterEach(() => vi.restoreAllMocks());

async function explain(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout } = await capture(explainCommand, ...args);
  return { code, out: stdout };
}

describe('gmn explain', () => {
  it('--json gives the certificate of each net the curvature task trains', async () => {
    const { code, out } = await explain(['--json', resolve(import.meta.dirname, '../../dsl-examples/curvature.gmn')]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as { nets: { net: string; certificate: { statement: string; eqlinears: { terms: string[] }[] } }[] };
    const gmn = json.nets.find((n) => n.net === 'gradmetanet')!;
    expect(gmn.certificate.statement).toBe('S_128-invariant and S_32×S_32-equivariant: grads(Siren, b=128)[2] → weights(Siren)[1]');
    expect(gmn.certificate.eqlinears.map((e) => e.terms.length)).toEqual([4, 4, 2, 2]);
    expect(json.nets.map((n) => n.net)).toContain('neuron_asymmetric');
  });
  it('--json states GradMetaNet\'s group on a CNN target: the set of position items and the channel groups', async () => {
    const { code, out } = await explain(['--json', resolve(import.meta.dirname, '../corpus/symmetry/accept/cnn-gradmetanet.gmn')]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as { nets: { net: string; certificate: { statement: string } }[] };
    // 4 examples × 4×4 positions; conv1's 4 and conv2's 8 channels, the head's 16 hidden neurons.
    expect(json.nets.find((n) => n.net === 'fisher')!.certificate.statement)
      .toBe('S_64-invariant and S_4×S_8×S_16-equivariant: grads(Conv, b=64)[2] → weights(Conv)[1]');
  });
  it('exits 1 and certifies nothing for a rejected spec', async () => {
    const { code, out } = await explain([resolve(import.meta.dirname, '../corpus/symmetry/reject/dense-over-neurons.gmn')]);
    expect(code).toBe(1);
    expect(out).toContain('not certified');
  });
});
