// What runs the nets of a verification: the float64 reference executor or the WebGPU executor
// (float32). The harness (harness.ts) is the same for both; only the forward pass and the
// tolerances that a backend's arithmetic allows differ.
//
// Tolerances (relative errors |f(g·x) − g·f(x)|∞ / |g·f(x)|∞, see harness.ts):
//   reference  equivariant below 1e-8; a declared break is confirmed above 1e-6. Float64 rounding
//              gives ~1e-15; anything above 1e-8 is a real asymmetry.
//   webgpu     equivariant below 1e-4; a declared break is confirmed above 1e-3. Float32 rounding
//              (ε ≈ 6e-8), accumulated through sums whose order a permutation changes, gives at
//              most 5.9e-6 on lavapipe over seeds 0–5 for every net of dsl-examples/curvature.gmn
//              (GradMetaNet at b = 128; the others stay below 1e-6), so 1e-4 leaves ~17× headroom.
//              A real break or a non-group transformation moves the output by far more: the
//              smallest break error measured there is 0.59, the smallest sensitivity margin of an
//              identity-aware net 5.5e-3. docs/symmetry.md ("Verifying numerically") lists them.
import { batchedValues } from '../../compiler/ir/batch.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { shapeOf, type Instantiation } from '../../compiler/ir/types.js';
import { optimizeNet, optimizeStep } from '../../compiler/optimize/passes.js';
import { GpuExecutor, layoutTables } from '../gpu/index.js';
import type { GpuDevice } from '../device/index.js';
import { executeGraph } from '../reference/execute.js';
import type { Tensor } from '../reference/tensor.js';

/** A net loaded with fixed parameters: its batched forward pass, and the resources it holds. */
export interface LoadedNet {
  forward(inputs: ReadonlyMap<string, Tensor>): Promise<Tensor>;
  release(): void;
}

export interface VerifyBackend {
  /** For output: e.g. `reference (float64)`, `webgpu (float32): lavapipe ...`. */
  readonly name: string;
  /** Above this relative error a net counts as not equivariant. */
  readonly tolerance: number;
  /** A declared break (or a non-group transformation) counts as detected above this error. */
  readonly confirmed: number;
  load(graph: Graph, inst: Instantiation, params: ReadonlyMap<string, Float64Array>): LoadedNet;
}

export const referenceBackend: VerifyBackend = {
  name: 'reference (float64)',
  tolerance: 1e-8,
  confirmed: 1e-6,
  load(graph, inst, params) {
    return {
      // Only the output is read: each value is dropped after its last reader.
      forward: (inputs) => Promise.resolve(executeGraph(graph, inst, inputs, params, { keep: 'outputs' }).output),
      // The reference executor holds only JS arrays.
      release: () => undefined,
    };
  },
};

export function webgpuBackend(gpu: GpuDevice): VerifyBackend {
  const d = gpu.description;
  return {
    name: `webgpu (float32): ${d.description || d.device} (${d.path})`,
    tolerance: 1e-4,
    confirmed: 1e-3,
    load(graph, inst, params) {
      const exec = new GpuExecutor(gpu, graph, inst, { tables: layoutTables(inst) });
      const batched = batchedValues(graph).get(graph.output) ?? true;
      exec.setParams(params);
      return {
        async forward(inputs) {
          const batch = inputs.values().next().value?.shape[0] ?? 1;
          const { values } = await exec.run(new Map([...inputs].map(([k, t]) => [k, t.data])), batch);
          const shape = shapeOf(graph.nodes[graph.output]!.type, inst);
          return { data: Float64Array.from(values.get(graph.output)!), shape: batched ? [batch, ...shape] : shape };
        },
        release: () => exec.release(),
      };
    },
  };
}

/**
 * The backend running each net as training runs it: after the optimiser's net pass and step pass
 * (compiler/optimize/passes.ts), exact rewrites such as an eqlinear's site terms contracted in linear
 * size (UNF-local on the LM: 6.1 G multiply-adds per call as lowered, 0.36 G rewritten). The harness
 * still reads types, group elements and parameters from the lowered graph, so the check is the same.
 */
export function asTrained(backend: VerifyBackend): VerifyBackend {
  return {
    ...backend,
    load: (graph, inst, params) => backend.load(optimizeStep(optimizeNet(graph, inst), inst).graph, inst, params),
  };
}
