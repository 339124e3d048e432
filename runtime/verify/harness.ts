// The numeric equivariance check, driven by the types: run the graph on random inputs x (random,
// seeded parameters, or given ones such as a trained checkpoint's) and on g·x for random group
// elements g, and compare f(g·x) with g·f(x). The graph runs on a backend (backend.ts: the float64
// reference executor, or WebGPU in float32); the harness is the same for every backend. The
// action of g on each value follows its type (see action.ts); an output without a set axis is
// thereby compared for invariance. Also reported:
//   invariance   the set-permutation error alone, when the output has no set axis but an input has
//   breaks       for each symmetry the net declares it breaks (@breaks), the error under that group
//                alone — it should be large, confirming the declaration
//   sensitivity  the error under non-group transformations (sensitivity.ts) — it should be large
//                for an equivariant net that uses neuron identity
import { batchedValues } from '../../compiler/ir/batch.js';
import type { AxisName, Graph } from '../../compiler/ir/ops.js';
import { shapeOf, type Instantiation } from '../../compiler/ir/types.js';
import { tensor, type Tensor } from '../reference/tensor.js';
import { Rng } from '../util/rng.js';
import { applyTransform, type Transform } from './action.js';
import { referenceBackend, type VerifyBackend } from './backend.js';
import { sampleGroupElement } from './group.js';
import { nonGroupTransforms, type SensitivityKind } from './sensitivity.js';

export interface VerifyOptions {
  seed?: number;
  /** Group elements sampled (default 3). */
  trials?: number;
  /** Examples per run (default 2). */
  batch?: number;
  /** What runs the graph (default: the float64 reference executor). */
  backend?: VerifyBackend;
  /** Parameter values by name (e.g. trained ones); default: seeded random values. */
  params?: ReadonlyMap<string, Float64Array>;
}

export interface VerifyReport {
  /** max over trials of |f(g·x) − g·f(x)|∞ / |g·f(x)|∞, g from the groups the net does not declare broken. */
  equivariance: number;
  /** The same for set permutations alone, when the output is set-invariant by type; else null. */
  invariance: number | null;
  breaks: { axis: AxisName; error: number }[];
  sensitivity: { kind: SensitivityKind; error: number }[];
  /** The largest sensitivity error (0 when no non-group transformation applies). */
  sensitivityMargin: number;
}

export async function verifyGraph(graph: Graph, inst: Instantiation, options: VerifyOptions = {}): Promise<VerifyReport> {
  // Parameters and inputs draw from separate streams, so the inputs and group elements do not
  // depend on whether the parameters were drawn or given.
  const seeds = new Rng(options.seed ?? 0);
  const paramRng = seeds.fork();
  const net = (options.backend ?? referenceBackend).load(graph, inst, options.params ?? randomParams(graph, paramRng));
  try {
    return await measure(graph, inst, net.forward, seeds.fork(), options);
  } finally {
    net.release();
  }
}

async function measure(
  graph: Graph, inst: Instantiation, f: (xs: ReadonlyMap<string, Tensor>) => Promise<Tensor>, rng: Rng, options: VerifyOptions,
): Promise<VerifyReport> {
  const batch = options.batch ?? 2;
  const trials = options.trials ?? 3;
  const batched = batchedValues(graph);
  const inputs = new Map<string, Tensor>();
  for (const [name, id] of graph.inputs) {
    const shape = [batch, ...shapeOf(graph.nodes[id]!.type, inst)];
    inputs.set(name, tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal())));
  }
  const y = await f(inputs);
  const outType = graph.nodes[graph.output]!.type;
  const errorUnder = async (g: Transform): Promise<number> => {
    const moved = new Map([...inputs].map(([name, x]) => [name, applyTransform(x, graph.nodes[graph.inputs.get(name)!]!.type, true, g, inst)]));
    return relativeError((await f(moved)).data, applyTransform(y, outType, batched.get(graph.output)!, g, inst).data);
  };
  const maxOver = async (n: number, sample: () => Transform): Promise<number> => {
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, await errorUnder(sample()));
    return worst;
  };

  const acting = (['set', 'site'] as AxisName[]).filter((a) => !graph.declaredBreaks.includes(a));
  const equivariance = await maxOver(trials, () => sampleGroupElement(graph, inst, rng, acting));
  const inputHasSet = [...graph.inputs.values()].some((id) => graph.nodes[id]!.type.set !== null);
  const invariance = outType.set === null && inputHasSet && acting.includes('set')
    ? await maxOver(trials, () => sampleGroupElement(graph, inst, rng, ['set'])) : null;
  const breaks: VerifyReport['breaks'] = [];
  for (const axis of graph.declaredBreaks) breaks.push({ axis, error: await maxOver(trials, () => sampleGroupElement(graph, inst, rng, [axis])) });
  const sensitivity: VerifyReport['sensitivity'] = [];
  for (const { kind, transform } of nonGroupTransforms(graph, inst, rng)) sensitivity.push({ kind, error: await errorUnder(transform) });
  return { equivariance, invariance, breaks, sensitivity, sensitivityMargin: Math.max(0, ...sensitivity.map((s) => s.error)) };
}

/** Seeded random values for every param: normal, scaled by 1/sqrt(rows) for matrices. */
export function randomParams(graph: Graph, rng: Rng): Map<string, Float64Array> {
  const params = new Map<string, Float64Array>();
  for (const node of graph.nodes) {
    if (node.op.op !== 'param' || params.has(node.op.name)) continue;
    const size = node.op.shape.reduce((a, b) => a * b, 1);
    const scale = node.op.shape.length === 2 ? 1 / Math.sqrt(node.op.shape[0]!) : 0.5;
    params.set(node.op.name, Float64Array.from({ length: size }, () => rng.normal() * scale));
  }
  return params;
}

/** |a − b|∞ / |b|∞ (0 when both vanish). */
export function relativeError(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-300);
}
