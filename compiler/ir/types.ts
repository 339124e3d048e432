// Symmetry-typed tensor types of the IR.
//
// Every IR value is a tensor whose type says which axes it has and which group acts on each:
//
//   [ set(b)? , site? , channel(c) ]          (memory layout: row-major in this order)
//
//   set(b)            a set of per-example (or per-token) items       S_b acts (exchangeable)
//   neurons(T)        all neurons of target T, segments concatenated  each segment's group acts
//   params(T)         all parameters of target T, blocks concatenated the group acts through the
//                                                                     blocks' row/col segments
//   fixed(n, label)   a positional axis (vocabulary, a folded axis)   nothing acts
//   channel(c)        features                                        nothing acts
//
// Data-dependent values also carry an implicit leading *batch* axis (the mini-batch of examples a
// step processes). It is not part of the type: every op acts on each batch element independently,
// and the runtime folds it into its kernels' row dimension.
import type { TargetLayout } from '../spaces/target.js';

export type Site =
  | { kind: 'neurons'; target: string }
  | { kind: 'params'; target: string }
  | { kind: 'fixed'; size: number; label: string };

export interface SetAxis {
  /** The set-size variable as written (`b`), for messages. */
  name: string;
  size: number;
}

export interface TensorType {
  set: SetAxis | null;
  site: Site | null;
  channels: number;
}

/** The concrete world an IR graph was lowered for: the targets it refers to, by name. */
export interface Instantiation {
  targets: ReadonlyMap<string, TargetLayout>;
}

export function siteSize(site: Site, inst: Instantiation): number {
  if (site.kind === 'fixed') return site.size;
  const layout = inst.targets.get(site.target);
  if (layout === undefined) throw new Error(`internal: unknown target ${site.target}`);
  return site.kind === 'neurons' ? layout.neuronCount : layout.paramCount;
}

/** Shape without the batch axis, e.g. [b, N, c]. */
export function shapeOf(type: TensorType, inst: Instantiation): number[] {
  const shape: number[] = [];
  if (type.set !== null) shape.push(type.set.size);
  if (type.site !== null) shape.push(siteSize(type.site, inst));
  shape.push(type.channels);
  return shape;
}

export function sameSite(a: Site | null, b: Site | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'fixed' && b.kind === 'fixed') return a.size === b.size && a.label === b.label;
  return a.kind !== 'fixed' && b.kind !== 'fixed' && a.target === b.target;
}

/** `grads(Siren, b=128)[2]`-style rendering used in dumps and messages. */
export function formatType(type: TensorType): string {
  const c = type.channels;
  const site = type.site;
  if (site === null) return type.set === null ? `vector[${c}]` : `set(${type.set.name}=${type.set.size})[${c}]`;
  if (site.kind === 'fixed') {
    const set = type.set === null ? '' : `set(${type.set.name}=${type.set.size}) × `;
    const side = Math.round(Math.sqrt(site.size));
    if (site.label === 'pixels' && side * side === site.size) return `${set}pixels(${side})[${c}]`;
    return `${set}fixed(${site.label}=${site.size})[${c}]`;
  }
  if (type.set === null) return `${site.kind === 'neurons' ? 'neurons' : 'weights'}(${site.target})[${c}]`;
  const space = site.kind === 'neurons' ? 'grads' : 'weight_grads';
  return `${space}(${site.target}, ${type.set.name}=${type.set.size})[${c}]`;
}
