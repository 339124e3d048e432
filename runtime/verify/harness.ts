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
  /** Called after each run of the net: `done` of `total` (f(x), then one per comparison), and what it measured. */
  onCheck?: (done: number, total: number, check: string) => void;
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

/** One comparison f(g·x) vs g·f(x): what it measures, and g. */
interface Check {
  measures: { kind: 'equivariance' } | { kind: 'invariance' } | { kind: 'break'; axis: AxisName } | { kind: 'sensitivity'; sensitivity: SensitivityKind };
  transform: Transform;
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
  const checks = planChecks(graph, inst, rng, trials);
  const total = checks.length + 1;
  const y = await f(inputs);
  options.onCheck?.(1, total, 'f(x)');
  const outType = graph.nodes[graph.output]!.type;
  const errors: number[] = [];
  for (const [i, { measures, transform: g }] of checks.entries()) {
    const moved = new Map([...inputs].map(([name, x]) => [name, applyTransform(x, graph.nodes[graph.inputs.get(name)!]!.type, true, g, inst)]));
    errors.push(relativeError((await f(moved)).data, applyTransform(y, outType, batched.get(graph.output)!, g, inst).data));
    options.onCheck?.(i + 2, total, measures.kind === 'break' ? `break ${measures.axis}` : measures.kind === 'sensitivity' ? `sensitivity ${measures.sensitivity}` : measures.kind);
  }
  const worst = (pick: (c: Check) => boolean): number => Math.max(0, ...errors.filter((_, i) => pick(checks[i]!)));
  const invariance = checks.some((c) => c.measures.kind === 'invariance') ? worst((c) => c.measures.kind === 'invariance') : null;
  const breaks = graph.declaredBreaks.map((axis) => ({ axis, error: worst((c) => c.measures.kind === 'break' && c.measures.axis === axis) }));
  const sensitivity = checks.flatMap((c, i) => (c.measures.kind === 'sensitivity' ? [{ kind: c.measures.sensitivity, error: errors[i]! }] : []));
  return {
    equivariance: worst((c) => c.measures.kind === 'equivariance'), invariance, breaks, sensitivity,
    sensitivityMargin: Math.max(0, ...sensitivity.map((s) => s.error)),
  };
}

/**
 * Every comparison, its group element drawn up front (so a progress bar knows the total) in the
 * order they are reported: equivariance trials, invariance trials, each declared break's, then the
 * non-group transformations.
 */
function planChecks(graph: Graph, inst: Instantiation, rng: Rng, trials: number): Check[] {
  const checks: Check[] = [];
  const sample = (measures: Check['measures'], axes: AxisName[]): void => {
    for (let i = 0; i < trials; i++) checks.push({ measures, transform: sampleGroupElement(graph, inst, rng, axes) });
  };
  const acting = (['set', 'site'] as AxisName[]).filter((a) => !graph.declaredBreaks.includes(a));
  sample({ kind: 'equivariance' }, acting);
  const inputHasSet = [...graph.inputs.values()].some((id) => graph.nodes[id]!.type.set !== null);
  if (graph.nodes[graph.output]!.type.set === null && inputHasSet && acting.includes('set')) sample({ kind: 'invariance' }, ['set']);
  for (const axis of graph.declaredBreaks) sample({ kind: 'break', axis }, [axis]);
  for (const { kind, transform } of nonGroupTransforms(graph, inst, rng)) checks.push({ measures: { kind: 'sensitivity', sensitivity: kind }, transform });
  return checks;
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
