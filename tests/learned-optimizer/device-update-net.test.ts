// F_ϕ on the device for a batch of particles, each with its own ϕ (params turned into batched
// inputs, the batched-weight matmul): every particle's direction equals the float64 reference's
// F_ϕ under that particle's ϕ alone, for DS, UNF, DS + GradMetaNet and UNF + GradMetaNet. The device
// graph reads the features' time embedding once per particle (time-embedding-input.ts): in float64
// it computes what the graph with the [P, 19] input does.
import { afterAll, describe, expect, it } from 'vitest';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { paramInputName, paramsAsInputs } from '../../compiler/ir/params-as-inputs.js';
import { DeviceUpdateNet } from '../../runtime/tasks/learned-optimizer/device-update-net.js';
import { FEATURE_CHANNELS, NORMALISED_CHANNELS, TIME_SCALES } from '../../runtime/tasks/learned-optimizer/features.js';
import { GRAD_SET_CHANNELS } from '../../runtime/tasks/learned-optimizer/gradient-sets.js';
import { NORMALISED_FEATURES_INPUT, splitTimeEmbedding, TIME_EMBEDDING_INPUT } from '../../runtime/tasks/learned-optimizer/time-embedding-input.js';
import { initialNetParams, updateDirection } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { f32Normal, randomFeatures, SMALL_MLP, smallOptimizer, writeFeatures } from './device-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const PARTICLES = 3;
const SET = 4;
const P = SMALL_MLP.paramCount;
const N = SMALL_MLP.neuronCount;

for (const name of ['ds_optimizer', 'unf_optimizer', 'ds_gradmetanet', 'unf_gradmetanet'] as const) {
  describe(`${name} for ${PARTICLES} particles`, () => {
    const net = smallOptimizer(name, SET).net!;
    const rng = new Rng(3);
    // Distinct ϕ per particle: the net's initialisation plus noise of its own size.
    const phis = Array.from({ length: PARTICLES }, () => Float64Array.from(Float32Array.from(initialNetParams(net, rng), (x) => x * (1 + 0.5 * rng.normal()))));
    const drawn = randomFeatures(PARTICLES, P, rng);
    const { features, normalised, times } = drawn;
    const sets = Array.from({ length: PARTICLES }, () => f32Normal(SET * N * GRAD_SET_CHANNELS, rng));
    const want = phis.map((phi, k) => updateDirection(net, phi, features[k]!, net.gradsInput === undefined ? undefined : sets[k]));

    it('the float64 graph with params as batched inputs gives each batch element its own weights', () => {
      const graph = paramsAsInputs(net.graph);
      const inputs = new Map([[net.featureInput, tensor([PARTICLES, P, FEATURE_CHANNELS], features.flatMap((f) => [...f]))]]);
      if (net.gradsInput !== undefined) inputs.set(net.gradsInput, tensor([PARTICLES, SET, N, GRAD_SET_CHANNELS], sets.flatMap((s) => [...s])));
      let offset = 0;
      for (const p of net.params) {
        inputs.set(paramInputName(p.name), tensor([PARTICLES, p.size], phis.flatMap((phi) => [...phi.subarray(offset, offset + p.size)])));
        offset += p.size;
      }
      const got = executeGraph(graph, net.inst, inputs, new Map()).output.data;
      expectClose(got, want.flatMap((w) => [...w]), 1e-12, 1e-12);
    });

    it('the graph with the time embedding as its own input, broadcast over the parameters, gives the same directions', () => {
      const graph = splitTimeEmbedding(net.graph, net.featureInput);
      expect(graph.inputs.has(net.featureInput)).toBe(false);
      phis.forEach((phi, k) => {
        const inputs = new Map([
          [NORMALISED_FEATURES_INPUT, tensor([1, P, NORMALISED_CHANNELS], normalised[k]!)],
          [TIME_EMBEDDING_INPUT, tensor([1, TIME_SCALES.length], times[k]!)],
        ]);
        if (net.gradsInput !== undefined) inputs.set(net.gradsInput, tensor([1, SET, N, GRAD_SET_CHANNELS], sets[k]!));
        let offset = 0;
        const params = new Map(net.params.map((p) => [p.name, phi.subarray(offset, (offset += p.size))] as const));
        expectClose(executeGraph(graph, net.inst, inputs, params).output.data, want[k]!, 1e-12, 1e-12);
      });
    });

    it.skipIf(gpu === null)('on the device, every particle\'s direction is its own F_ϕ (float32 vs float64)', async () => {
      const device = await DeviceUpdateNet.create(gpu!, net, PARTICLES);
      device.setPhi(Float32Array.from(phis.flatMap((phi) => [...phi])));
      const write = (buffer: GPUBuffer, data: Float32Array) => gpu!.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      writeFeatures(gpu!, device, drawn);
      if (device.gradSets !== undefined) write(device.gradSets, Float32Array.from(sets.flatMap((s) => [...s])));
      const step = gpu!.step();
      device.record(step);
      const { data } = await step.submit([{ buffer: device.direction, bytes: PARTICLES * P * 4 }]);
      device.release();
      expectClose(new Float32Array(data[0]!), want.flatMap((w) => [...w]), 1e-4, 1e-5);
    });
  });
}
