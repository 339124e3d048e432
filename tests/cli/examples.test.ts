// Every example file is certified by `gmn explain` and numerically verified by `gmn verify`: each
// net's proved statement holds on random group elements (float64 reference, or float32 WebGPU for
// the heavy ones — GradMetaNet++, nets on a transformer — which the reference runs slowly; those
// skip, saying what to install, where the machine has no adapter, and their output must name it).
// The certificate is for the file as written (a 1M-parameter target for curvature_scaled.gmn); the
// numeric witness runs on the `quick` preset's instantiation of the same nets where a file has one:
// the proof does not depend on sizes, and a float64 check of a million parameters would take minutes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTestGpu } from '../device/gpu-fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES = readdirSync(join(ROOT, 'dsl-examples')).filter((f) => f.endsWith('.gmn')).sort();
const WEBGPU = new Set(['curvature.gmn', 'learned_optimizer.gmn']);
const gpu = await openTestGpu();
gpu?.destroy();
// Nets no task instantiates are checked on one target of each kind the file declares — the smallest
// MLP and the transformer — rather than on every size of the same kind.
const NUMERIC_TARGETS: Record<string, string[]> = { 'learned_optimizer.gmn': ['FashionMlp', 'Lm1b'] };

function gmn(args: string[]) {
  // explain --json lists every op's rule and basis term: megabytes for UNF-local's 1,322 terms on the LM.
  return spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
}

interface ExplainedNet { net: string; certificate: { statement: string } | null }
interface VerifiedNet { net: string; verified: boolean; equivariance: number }

describe('every example', () => {
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
  });

  it('there are examples for each paper task', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['curvature.gmn', 'curvature_scaled.gmn', 'learned_optimizer.gmn', 'inr_editing.gmn']));
  });

  for (const file of EXAMPLES) {
    it(`${file}: gmn explain certifies every net`, () => {
      const run = gmn(['explain', join('dsl-examples', file), '--json']);
      expect(run.status).toBe(0);
      const nets = (JSON.parse(run.stdout) as { nets: ExplainedNet[] }).nets;
      expect(nets.length).toBeGreaterThan(0);
      // The proved statement names the symmetry and the signature, e.g. `S_128-invariant and S_32×S_32-equivariant: grads(…) → weights(…)`.
      for (const n of nets) expect(n.certificate?.statement).toMatch(/(invariant|equivariant|breaks|not).*: .* → /);
    });

    it.skipIf(WEBGPU.has(file) && gpu === null)(`${file}: gmn verify --json confirms every net numerically`, () => {
      const backend = WEBGPU.has(file) ? 'webgpu' : 'reference';
      const quick = /^\s*preset quick\b/m.test(readFileSync(join(ROOT, 'dsl-examples', file), 'utf8'));
      const targets = (NUMERIC_TARGETS[file] ?? []).flatMap((t) => ['--target', t]);
      const run = gmn(['verify', join('dsl-examples', file), '--json', '--backend', backend, ...(quick ? ['--preset', 'quick'] : []), ...targets]);
      expect(run.status).toBe(0);
      const verified = JSON.parse(run.stdout) as { backend: string; nets: VerifiedNet[] };
      expect(verified.backend).toMatch(backend === 'webgpu' ? /^webgpu \(float32\)/ : /^reference \(float64\)/);
      expect(verified.nets.length).toBeGreaterThan(0);
      for (const n of verified.nets) expect(n.verified).toBe(true);
    });
  }
});

describe('the curvature study keeps to the paper\'s parameter budget', () => {
  it('every learned model has about 15K parameters, except MLP+Concat, whose input alone is 2·128·66 wide', () => {
    const run = gmn(['explain', 'dsl-examples/curvature.gmn', '--json']);
    expect(run.status).toBe(0);
    const nets = (JSON.parse(run.stdout) as { nets: { net: string; certificate: { paramCount: number } }[] }).nets;
    for (const { net, certificate } of nets) {
      if (net === 'standard_estimator') expect(certificate.paramCount).toBe(0);
      else if (net === 'mlp_concat') expect(certificate.paramCount).toBeGreaterThan(2 * 128 * 66);
      else {
        expect(certificate.paramCount, net).toBeGreaterThan(5_000);
        expect(certificate.paramCount, net).toBeLessThanOrEqual(16_000);
      }
    }
  });
});
