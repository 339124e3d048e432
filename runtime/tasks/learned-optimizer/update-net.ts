// F_ϕ as the runtime sees it: an update net of the .gmn file, lowered for the base task's target,
// evaluated in float64 on the [P, 19] features (and, for GradMetaNet-augmented nets, the [b, N, 14]
// gradient sets: gradient-sets.ts) with its parameters taken from a flat slice of the
// meta-parameter vector φ (every particle of PES carries its own ϕ).
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../../compiler/ir/ops.js';
import { lowerNet, type Lowered, type ScalarArg } from '../../../compiler/ir/lower.js';
import { formatType, type Instantiation } from '../../../compiler/ir/types.js';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { executeGraph, tensor } from '../../reference/index.js';
import { initParams } from '../../train/init.js';
import type { Rng } from '../../util/rng.js';
import { FEATURE_CHANNELS } from './features.js';
import { GRAD_SET_CHANNELS } from './gradient-sets.js';

export interface UpdateNet {
  net: string;
  graph: Graph;
  inst: Instantiation;
  /** Its eqlinears with their bases (what a certificate lists). */
  eqlinears: Lowered['eqlinears'];
  /** The net's parameters in graph order, with their sizes: the layout of ϕ inside φ. */
  params: { name: string; size: number }[];
  paramCount: number;
  /** The name of the features input (`weights(T)[19]`). */
  featureInput: string;
  /** The name of the gradient-set input (`grads(T, b)[14]`) of a GradMetaNet-augmented net. */
  gradsInput: string | undefined;
  /** b: the examples per gradient set (the base task's batch). */
  setSize: number;
}

export interface UpdateNetRequest {
  program: ResolvedProgram;
  module: ResolvedModule;
  net: string;
  args: ReadonlyMap<string, ScalarArg>;
  target: TargetLayout;
  /** b of the gradient-set input: the base task's batch. */
  setSize: number;
}

/** What an update net's inputs may be; anything else is a mistake in the .gmn file. */
export class UpdateNetShapeError extends Error {}

export function lowerUpdateNet(req: UpdateNetRequest): UpdateNet {
  const lowered = lowerNet({ program: req.program, module: req.module, net: req.net, args: req.args, target: req.target, setSize: req.setSize });
  if (!lowered.ok) throw new DiagnosticError(lowered.diagnostics);
  const { graph, instantiation: inst } = lowered.value;
  let featureInput: string | undefined;
  let gradsInput: string | undefined;
  for (const [name, id] of graph.inputs) {
    const t = graph.nodes[id]!.type;
    if (t.set === null && t.site?.kind === 'params' && t.channels === FEATURE_CHANNELS && featureInput === undefined) featureInput = name;
    else if (t.set !== null && t.site?.kind === 'neurons' && t.channels === GRAD_SET_CHANNELS && gradsInput === undefined) gradsInput = name;
    else throw new UpdateNetShapeError(`input \`${name}\` of ${req.net} is ${formatType(t)}; an update net reads weights(T)[${FEATURE_CHANNELS}] (the standard features) and optionally grads(T, b)[${GRAD_SET_CHANNELS}] (the gradient set and its six EMAs)`);
  }
  if (featureInput === undefined) throw new UpdateNetShapeError(`${req.net} has no weights(T)[${FEATURE_CHANNELS}] input for the standard features`);
  const params: { name: string; size: number }[] = [];
  for (const { op } of graph.nodes) {
    if (op.op === 'param' && !params.some((p) => p.name === op.name)) params.push({ name: op.name, size: op.shape.reduce((a, b) => a * b, 1) });
  }
  return { net: req.net, graph, inst, eqlinears: lowered.value.eqlinears, params, paramCount: params.reduce((a, p) => a + p.size, 0), featureInput, gradsInput, setSize: req.setSize };
}

/** ϕ at initialisation (the net's own init, in graph order), flat. */
export function initialNetParams(net: UpdateNet, rng: Rng): Float64Array {
  const init = initParams(net.graph, rng);
  const flat = new Float64Array(net.paramCount);
  let offset = 0;
  for (const p of net.params) {
    flat.set(init.get(p.name)!, offset);
    offset += p.size;
  }
  return flat;
}

/** F_ϕ(features, gradient sets): [P] update directions from [P, 19] features (and [b, N, 14] sets), ϕ flat in `phi`. */
export function updateDirection(net: UpdateNet, phi: Float64Array, features: Float64Array, gradSets?: Float64Array): Float64Array {
  const P = features.length / FEATURE_CHANNELS;
  const params = new Map<string, Float64Array>();
  let offset = 0;
  for (const p of net.params) {
    params.set(p.name, phi.subarray(offset, offset + p.size));
    offset += p.size;
  }
  const inputs = new Map([[net.featureInput, tensor([1, P, FEATURE_CHANNELS], features)]]);
  if (net.gradsInput !== undefined) {
    if (gradSets === undefined) throw new Error(`internal: ${net.net} reads gradient sets, none given`);
    inputs.set(net.gradsInput, tensor([1, net.setSize, gradSets.length / net.setSize / GRAD_SET_CHANNELS, GRAD_SET_CHANNELS], gradSets));
  }
  return executeGraph(net.graph, net.inst, inputs, params, { keep: 'outputs' }).output.data;
}
