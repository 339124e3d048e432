import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyCommand } from '../../runtime/cli/commands/verify.js';
import { capture } from '../cli/capture.js';

const run = (...argv: string[]) => capture(verifyCommand, ...argv);

afterEach(() => vi.restoreAllMocks());

interface NetJson {
  net: string;
  verified: boolean;
  equivariance: number;
  invariance: number | null;
  sensitivityMargin: number;
  sensitivity: Record<string, number>;
  breaks: Record<string, number>;
}

describe('gmn verify', () => {
  it('--json: every std GradMetaNet is equivariant to 1e-10 in float64 and clearly sensitive', async () => {
    const { code, stdout } = await run('--json', '--seed', '7', 'std/gradmetanet.gmn');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { seed: number; nets: NetJson[] };
    expect(json.seed).toBe(7);
    expect(json.nets.map((n) => n.net)).toEqual(['gradmetanet', 'gradmetanet_vec', 'gradmetanet_theta']);
    for (const n of json.nets) {
      expect(n.verified).toBe(true);
      expect(n.equivariance).toBeLessThan(1e-10);
      expect(n.invariance).toBeLessThan(1e-10);
      expect(n.sensitivityMargin).toBeGreaterThan(1e-3);
    }
  });
  it('--json: GradMetaNet++ and its multiplicative-readout variant are equivariant and sensitive', async () => {
    const { code, stdout } = await run('--json', '--seed', '11', 'std/gradmetanet_pp.gmn');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { nets: NetJson[] };
    expect(json.nets.map((n) => n.net)).toEqual(['gradmetanet_pp', 'gradmetanet_pp_product']);
    for (const n of json.nets) {
      expect(n.verified).toBe(true);
      expect(n.equivariance).toBeLessThan(1e-10);
      expect(n.invariance).toBeLessThan(1e-10);
      expect(n.sensitivityMargin).toBeGreaterThan(1e-3);
    }
  });
  it('confirms the declared breaks of the baselines', async () => {
    const { code, stdout } = await run('--json', 'std/baselines.gmn');
    expect(code).toBe(0);
    const nets = new Map((JSON.parse(stdout) as { nets: NetJson[] }).nets.map((n) => [n.net, n]));
    expect(Object.keys(nets.get('mlp_concat')!.breaks)).toEqual(['set', 'neurons']);
    expect(nets.get('dws_concat')!.breaks.set).toBeGreaterThan(1e-3);
    expect(nets.get('neuron_asymmetric')!.breaks.neurons).toBeGreaterThan(1e-3);
    expect(nets.get('dws_average')!.breaks).toEqual({});
  });
  it('prints the figures per net in text form', async () => {
    const { stdout } = await run('std/gradmetanet.gmn');
    expect(stdout).toMatch(/^backend reference \(float64\): equivariant below 1\.00e-8, breaks confirmed above 1\.00e-6\nnet gradmetanet {2}\(std\/gradmetanet\.gmn, probe\) {2}verified\n {2}equivariance error {2}\d\.\d\de-\d+\n {2}invariance error {4}\d\.\d\de-\d+\n {2}sensitivity margin {2}\d\.\d\de[-+]\d+ {2}\(fixed-neurons /);
  });
  it('a bad seed is a usage error', async () => {
    await expect(verifyCommand.run(['--seed', 'x', 'std/gradmetanet.gmn'])).rejects.toThrow('--seed must be a non-negative integer');
  });
});
