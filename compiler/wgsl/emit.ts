// Writes a plan as files a user can read: one `<kernel>.wgsl` per distinct kernel, `plan.json`
// with the buffers (role, name, bytes), the dispatches in order (kernel file, IR value, uniforms,
// bindings, workgroups) and where inputs, params and outputs live, and `graph.ir`, the optimised
// graph whose values the dispatches name. Table contents (incidence indices, segment ranges,
// constants) are summarised by length, not dumped.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpGraph } from '../ir/dump.js';
import type { Instantiation } from '../ir/types.js';
import { kernelFiles } from './kernel-files.js';
import type { Plan } from './plan.js';

export { kernelFiles };

export interface PlanJson {
  graph: string;
  batch: number;
  kernels: { file: string; name: string; uniforms: string[]; bindings: { name: string; access: string }[]; workgroup: number[] }[];
  buffers: { id: number; role: string; name: string; bytes: number; tableLength?: number }[];
  inputs: Record<string, number>;
  params: Record<string, number>;
  /** The values read back (`value`: their id in graph.ir). */
  outputs: { value: number; buffer: number; dims: number[] }[];
  dispatches: { kernel: string; value: number; label: string; uniforms: Record<string, number>; bindings: number[]; workgroups: number[] }[];
}

export function planJson(plan: Plan): PlanJson {
  const files = kernelFiles(plan);
  return {
    graph: plan.graph,
    batch: plan.batch,
    kernels: plan.kernels.map((k, i) => ({
      file: files[i]!,
      name: k.name,
      uniforms: k.uniforms.map((u) => `${u.name}: ${u.type}`),
      bindings: k.bindings.map((b) => ({ name: b.name, access: b.access })),
      workgroup: k.workgroup,
    })),
    buffers: plan.buffers.map((b) => {
      const table = plan.tables.get(b.id);
      return table === undefined ? { ...b } : { ...b, tableLength: table.length };
    }),
    inputs: Object.fromEntries(plan.inputs),
    params: Object.fromEntries(plan.params),
    outputs: plan.outputs.map((v) => ({ value: plan.optimizedIds.get(v)!, buffer: plan.values.get(v)!, dims: plan.dims.get(v)! })),
    dispatches: plan.dispatches.map((d) => ({ kernel: files[d.kernel]!, value: d.node, label: d.label, uniforms: d.uniforms, bindings: d.buffers, workgroups: d.workgroups })),
  };
}

/** Writes `<dir>/<kernel>.wgsl` for every kernel, `<dir>/plan.json` and `<dir>/graph.ir`; returns the written paths. */
export function writePlan(plan: Plan, dir: string, inst?: Instantiation): string[] {
  mkdirSync(dir, { recursive: true });
  const files = kernelFiles(plan);
  const written = plan.kernels.map((k, i) => {
    const path = join(dir, files[i]!);
    writeFileSync(path, k.source);
    return path;
  });
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, `${JSON.stringify(planJson(plan), null, 2)}\n`);
  const graphPath = join(dir, 'graph.ir');
  writeFileSync(graphPath, dumpGraph(plan.optimized, inst));
  return [...written, planPath, graphPath];
}
