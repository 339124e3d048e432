// F_ϕ as the runtime sees it: an update net of the .gmn file, lowered for the base task's target,
// evaluated in float64 on the [P, 19] features with its parameters taken from a flat slice of the
// meta-parameter vector φ (every particle of PES carries its own ϕ).
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../../compiler/ir/ops.js';
import { lowerNet, type ScalarArg } from '../../../compiler/ir/lower.js';
import type { Instantiation } from '../../../compiler/ir/types.js';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { executeGraph, tensor } from '../../reference/index.js';
import { initParams } from '../../train/init.js';
import type { Rng } from '../../util/rng.js';
import { FEATURE_CHANNELS } from './features.js';

export interface UpdateNet {
  net: string;
  graph: Graph;
  inst: Instantiation;
  /** The net's parameters in graph order, with their sizes: the layout of ϕ inside φ. */
  params: { name: string; size: number }[];
  paramCount: number;
  /** The name of the features input (`weights(T)[19]`). */
  featureInput: string;
}

export interface UpdateNetRequest {
  program: ResolvedProgram;
  module: ResolvedModule;
  net: string;
  args: ReadonlyMap<string, ScalarArg>;
  target: TargetLayout;
}

export function lowerUpdateNet(req: UpdateNetRequest): UpdateNet {
  const lowered = lowerNet({ program: req.program, module: req.module, net: req.net, args: req.args, target: req.target, setSize: 1 });
  if (!lowered.ok) throw new DiagnosticError(lowered.diagnostics);
  const { graph, instantiation: inst } = lowered.value;
  if (graph.inputs.size !== 1) {
    throw new Error(`${req.net}: the float64 runner feeds only the 19 standard features; nets that also read gradient sets (GradMetaNet) need the device runner`);
  }
  const params: { name: string; size: number }[] = [];
  for (const { op } of graph.nodes) {
    if (op.op === 'param' && !params.some((p) => p.name === op.name)) params.push({ name: op.name, size: op.shape.reduce((a, b) => a * b, 1) });
  }
  return { net: req.net, graph, inst, params, paramCount: params.reduce((a, p) => a + p.size, 0), featureInput: [...graph.inputs.keys()][0]! };
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

/** F_ϕ(features): [P] update directions from [P, 19] features, ϕ flat in `phi`. */
export function updateDirection(net: UpdateNet, phi: Float64Array, features: Float64Array): Float64Array {
  const P = features.length / FEATURE_CHANNELS;
  const params = new Map<string, Float64Array>();
  let offset = 0;
  for (const p of net.params) {
    params.set(p.name, phi.subarray(offset, offset + p.size));
    offset += p.size;
  }
  const out = executeGraph(net.graph, net.inst, new Map([[net.featureInput, tensor([1, P, FEATURE_CHANNELS], features)]]), params).output;
  return out.data;
}
