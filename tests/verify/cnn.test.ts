// `gmn verify` on CNN targets (issue 30): GradMetaNet and the paper's baselines, instantiated on a
// cnn(...) target with Γ's set of b·H·W position items, under random elements of the CNN's group —
// each conv layer's channels permuted by one permutation shared by its output segment and every
// patch segment of the next layer, the head's hidden neurons, and the set — on the float64 reference
// executor and on the WebGPU executor (float32; lavapipe on a CPU-only machine).
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { certifyProgram } from '../../compiler/symmetry/program.js';
import { cnnLayout } from '../../compiler/spaces/cnn.js';
import { GpuDevice, INSTALL_HINT } from '../../runtime/device/index.js';
import { referenceBackend, sampleGroupElement, verifyProgram, webgpuBackend, type NetVerification, type VerifyBackend } from '../../runtime/verify/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectSound, type ExpectedSymmetry } from '../fixtures/verify-soundness.js';

const gpu = await GpuDevice.open({ throttlePolling: true });
if (gpu === null) console.warn(`SKIPPED: no WebGPU adapter on this machine. To run these tests: ${INSTALL_HINT}`);
afterAll(() => gpu?.destroy());

const GRADMETANET = 'tests/corpus/symmetry/accept/cnn-gradmetanet.gmn';
const BASELINES = 'tests/corpus/symmetry/accept/cnn-baselines.gmn';

/** What each net of the two files declares broken; the invariant vector and the mean of squared gradients ignore neuron identity by construction. */
const EXPECTED: ExpectedSymmetry = {
  declaredBreaks: {
    concat_mlp: ['set', 'site'],
    concat_dws: ['set'],
    concat_gmn: ['set'],
    asymmetric_batch: ['set'],
    asymmetric_neurons: ['site'],
  },
  insensitive: new Set(['trace', 'standard']),
};

async function verifyFile(file: string, backend: VerifyBackend): Promise<NetVerification[]> {
  const checked = checkFiles([file]);
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return verifyProgram(checked.program, 0, checked.program.roots[0]!.file, backend);
}

function expectSoundOnConv(nets: NetVerification[], backend: VerifyBackend, names: string[]): void {
  expect(nets.map((n) => n.net)).toEqual(names);
  for (const n of nets) expect(n.instance, n.net).toBe('target Conv');
  expectSound(nets, backend, EXPECTED);
}

const NETS = {
  [GRADMETANET]: ['fisher', 'trace'],
  [BASELINES]: ['concat_mlp', 'concat_dws', 'average_dws', 'concat_gmn', 'average_gmn', 'asymmetric_batch', 'asymmetric_neurons', 'standard'],
};

describe('random elements of a CNN target\'s group', () => {
  it('permute each conv layer\'s channels by one permutation, shared with every patch segment that reads them', () => {
    const fisher = certifyProgram(checkFiles([GRADMETANET]).program).find((r) => r.net === 'fisher')!;
    const inst = fisher.lowered!.instantiation;
    const layout = cnnLayout('Conv', { kind: 'cnn', channels: [1, 4, 8], kernel: 3, height: 4, width: 4, head: [16, 1], activation: { kind: 'relu' } });
    expect(inst.targets.get('Conv')!.segments).toEqual(layout.segments);
    const g = sampleGroupElement(fisher.lowered!.graph, inst, new Rng(3)).neurons.get('Conv')!;
    const within = (seg: number) => Array.from(g.subarray(layout.segments[seg]!.offset, layout.segments[seg]!.offset + layout.segments[seg]!.size), (v) => v - layout.segments[seg]!.offset);
    const conv1 = within(layout.convs[0]!.outputSegment);
    expect(conv1.slice().sort()).toEqual([0, 1, 2, 3]);
    for (const patch of layout.convs[1]!.patchSegments) expect(within(patch)).toEqual(conv1);
    for (const patch of layout.convs[0]!.patchSegments) expect(within(patch)).toEqual([0]);
    expect(within(layout.headSegments.at(-1)!)).toEqual([0]);
  });
});

describe('gmn verify on a CNN target, float64 reference', () => {
  for (const [file, names] of Object.entries(NETS)) {
    it(`every net of ${file.split('/').pop()}`, async () => expectSoundOnConv(await verifyFile(file, referenceBackend), referenceBackend, names));
  }
});

describe.skipIf(gpu === null)('gmn verify on a CNN target, WebGPU (float32)', () => {
  for (const [file, names] of Object.entries(NETS)) {
    it(`every net of ${file.split('/').pop()}, run by the device`, async () => {
      const backend = webgpuBackend(gpu!);
      // Every forward pass of the harness goes through the GPU executor: count them.
      let forwards = 0;
      const counting: VerifyBackend = {
        ...backend,
        load(graph, inst, params) {
          const net = backend.load(graph, inst, params);
          return { forward: (inputs) => { forwards++; return net.forward(inputs); }, release: () => net.release() };
        },
      };
      const nets = await verifyFile(file, counting);
      expect(backend.name).toMatch(/^webgpu \(float32\): /);
      expect(forwards).toBeGreaterThanOrEqual(names.length * 3);
      expectSoundOnConv(nets, backend, names);
    }, 180_000); // lavapipe compiles each net's kernels first: 38 s for GradMetaNet at load 25 on 2 cores
  }
});
