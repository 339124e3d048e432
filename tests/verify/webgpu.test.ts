// `gmn verify --backend webgpu`: the same harness with the nets run by the GPU executor in float32
// (on lavapipe on a CPU-only machine). Every equivariant net must stay within the float32
// tolerance, every declared break must be confirmed, and the non-group transformations must still
// move the output far above float32 noise.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { certifyProgram } from '../../compiler/symmetry/program.js';
import { GpuDevice, INSTALL_HINT } from '../../runtime/device/index.js';
import { verifyCommand } from '../../runtime/cli/commands/verify.js';
import { capture } from '../cli/capture.js';
import { expectSound, type ExpectedSymmetry } from '../fixtures/verify-soundness.js';
import { verifyGraph, verifyProgram, webgpuBackend, type NetVerification, type VerifyBackend } from '../../runtime/verify/index.js';

// The polling throttle frees a core for lavapipe's workers (as `gmn verify` opens the device).
const gpu = await GpuDevice.open({ throttlePolling: true });
if (gpu === null) console.warn(`SKIPPED: no WebGPU adapter on this machine. To run these tests: ${INSTALL_HINT}`);
afterAll(() => gpu?.destroy());
afterEach(() => vi.restoreAllMocks());

/** The symmetries each baseline declares broken; the estimator ignores neuron identity by construction. */
// Every std module's nets compile their kernels here: std/baselines took 24 s with an empty Mesa
// shader cache on a quiet 2-core machine, so 180 s keeps a twice-slower CI machine under a third of it.
const COLD_COMPILE_TIMEOUT_MS = 180_000;

const EXPECTED: ExpectedSymmetry = {
  declaredBreaks: {
    mlp_concat: ['set', 'site'],
    mlp_vec: ['set', 'site'],
    dws_concat: ['set'],
    gmn_concat: ['set'],
    batch_asymmetric: ['set'],
    neuron_asymmetric: ['site'],
  },
  insensitive: new Set(['standard_estimator']),
};

async function verifyFile(file: string, backend: VerifyBackend, preset?: string): Promise<NetVerification[]> {
  const checked = checkFiles([file]);
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return verifyProgram(checked.program, 0, checked.program.roots[0]!.file, backend, preset === undefined ? {} : { preset });
}

describe.skipIf(gpu === null)('verify on WebGPU (float32)', () => {
  it('every net of dsl-examples/curvature.gmn, instantiated as its long_pp run trains it (SIREN 1→32→32→1, b = 32)', async () => {
    const backend = webgpuBackend(gpu!);
    const nets = await verifyFile('dsl-examples/curvature.gmn', backend, 'long_pp');
    // The paper's two models at least (every net of the file runs in float32 on its quick preset in
    // tests/cli/examples.test.ts, and on the probe target above).
    expect(nets.map((n) => n.net)).toEqual(expect.arrayContaining(['gradmetanet', 'gradmetanet_pp', 'standard_estimator']));
    expect(nets.every((n) => n.instance === 'task curvature, preset long_pp')).toBe(true);
    expectSound(nets, backend, EXPECTED);
  });
  for (const module of ['gradmetanet', 'gradmetanet_pp', 'baselines']) {
    it(`every net of std/${module}.gmn on the probe target`, async () => {
      const backend = webgpuBackend(gpu!);
      const nets = await verifyFile(`std/${module}.gmn`, backend);
      expect(nets.length).toBeGreaterThan(0);
      expectSound(nets, backend, EXPECTED);
    }, COLD_COMPILE_TIMEOUT_MS);
  }
  it('a baseline whose @breaks is dropped fails on WebGPU too: the harness sees the asymmetry in float32', async () => {
    const checked = checkFiles(['dsl-examples/curvature.gmn']);
    const backend = webgpuBackend(gpu!);
    for (const r of certifyProgram(checked.program).filter((x) => x.lowered !== null && x.lowered.graph.declaredBreaks.length > 0)) {
      const graph = { ...r.lowered!.graph, declaredBreaks: [] };
      const report = await verifyGraph(graph, r.lowered!.instantiation, { backend });
      expect.soft(report.equivariance, r.net).toBeGreaterThan(100 * backend.tolerance);
    }
  });
});

describe.skipIf(gpu === null)('gmn verify --backend', () => {
  const run = (...argv: string[]) => capture(verifyCommand, ...argv);
  it('--backend webgpu --json states the backend and its float32 tolerances', async () => {
    const { code, stdout } = await run('--backend', 'webgpu', '--json', 'std/gradmetanet.gmn');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { backend: string; tolerance: number; confirmed: number; nets: { verified: boolean; equivariance: number }[] };
    expect(json.backend).toMatch(/^webgpu \(float32\): /);
    expect([json.tolerance, json.confirmed]).toEqual([1e-4, 1e-3]);
    expect(json.nets.every((n) => n.verified && n.equivariance < 1e-4)).toBe(true);
  });
  it('text output opens with the backend and its tolerances', async () => {
    const { stdout } = await run('--backend', 'auto', 'std/gradmetanet_pp.gmn');
    expect(stdout).toMatch(/^backend webgpu \(float32\): .*: equivariant below 1\.00e-4, breaks confirmed above 1\.00e-3\nnet gradmetanet_pp /);
  });
});

describe('gmn verify --backend (usage)', () => {
  it('an unknown backend is a usage error', async () => {
    await expect(verifyCommand.run(['--backend', 'cuda', 'std/gradmetanet.gmn'])).rejects.toThrow('unknown backend `cuda` (use reference, webgpu or auto)');
  });
});
