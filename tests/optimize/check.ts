// Shared checks of the optimisation tests: golden before/after dumps, and numeric equality of a
// graph and its rewrite on the float64 reference executor (random inputs and parameters).
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { buildTrainingStep, STEP_COTANGENT, STEP_TARGET } from '../../compiler/autodiff/index.js';
import { dumpGraph } from '../../compiler/ir/dump.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { shapeOf, type Instantiation } from '../../compiler/ir/types.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose } from '../device/gpu-fixture.js';
import { matchGolden } from '../fixtures/golden.js';
import { randomParams, randomTensor } from '../autodiff/fixtures.js';

const GOLDEN = resolve(import.meta.dirname, 'golden');

/**
 * The before/after dump of a rewrite, byte for byte against `golden/<name>.ir`.
 * To accept an intended change, regenerate with GMN_UPDATE_GOLDEN=1 and review the diff.
 */
export function expectGolden(name: string, before: Graph, after: Graph, inst: Instantiation): void {
  const text = `# before\n${dumpGraph(before, inst)}\n# after\n${dumpGraph(after, inst)}`;
  matchGolden(resolve(GOLDEN, `${name}.ir`), text);
}

const BATCH = 2;

function randomInputs(graph: Graph, inst: Instantiation, rng: Rng) {
  return new Map([...graph.inputs].map(([name, id]) => [name, randomTensor(rng, [BATCH, ...shapeOf(graph.nodes[id]!.type, inst)])] as const));
}

/** Both graphs compute the same output (and named outputs) on random inputs and parameters. */
export function expectSameFunction(before: Graph, after: Graph, inst: Instantiation, seed = 1): void {
  const rng = new Rng(seed);
  const inputs = randomInputs(before, inst, rng);
  const params = randomParams(before, rng);
  const [a, b] = [executeGraph(before, inst, inputs, params, { batch: BATCH }), executeGraph(after, inst, inputs, params, { batch: BATCH })];
  expectClose(b.output.data, a.output.data, 1e-11, 1e-12);
  for (const [name, value] of a.outputs) expectClose(b.outputs.get(name)!.data, value.data, 1e-11, 1e-12);
}

/** The training steps built from both nets (MSE) give the same loss and every parameter gradient. */
export function expectSameGradients(before: Graph, after: Graph, inst: Instantiation, seed = 2): void {
  const rng = new Rng(seed);
  const inputs = randomInputs(before, inst, rng);
  inputs.set(STEP_TARGET, randomTensor(rng, [BATCH, ...shapeOf(before.nodes[before.output]!.type, inst)]));
  inputs.set(STEP_COTANGENT, tensor([BATCH], [0.5, 0.5]));
  const params = randomParams(before, rng);
  const [sa, sb] = [buildTrainingStep(before, inst, 'mse'), buildTrainingStep(after, inst, 'mse')];
  const [a, b] = [executeGraph(sa.graph, inst, inputs, params, { batch: BATCH }), executeGraph(sb.graph, inst, inputs, params, { batch: BATCH })];
  expect(a.outputs.size).toBeGreaterThan(2);
  expect([...b.outputs.keys()].sort()).toEqual([...a.outputs.keys()].sort());
  for (const [name, value] of a.outputs) expectClose(b.outputs.get(name)!.data, value.data, 1e-10, 1e-12);
}
