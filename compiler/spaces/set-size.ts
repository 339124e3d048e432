// How many elements a net's set axis has when it reads `examples` examples of a target: Γ
// (`grads(T, b)`) holds each example's items (a CNN's positions, a transformer's tokens), Θ_b
// (`weight_grads(T, b)`) one gradient per example, which already sums its items. A net that reads
// both on a target with several items per example has no single b (`mixed`). `gmn check` and
// `gmn run` instantiate a task's nets by this one rule.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Expr, FunctionDecl, Span } from '../syntax/ast.js';
import { itemsPerExample } from './elaborate.js';
import type { TargetSpec } from './target.js';

export type MixedSets = { kind: 'mixed'; examples: number; items: number };
export type SetSize = { kind: 'size'; size: number } | MixedSets;

export function setSizeOf(net: FunctionDecl, examples: number, spec: TargetSpec): SetSize {
  const items = itemsPerExample(spec);
  const reads = (space: string) => net.params.some((p) => spaceOf(p.type) === space);
  if (items === 1 || !reads('grads')) return { kind: 'size', size: examples };
  if (reads('weight_grads')) return { kind: 'mixed', examples, items };
  return { kind: 'size', size: examples * items };
}

/** The refusal of a net with no single b, at `at`; `code` names the stage that refuses it (check or run). */
export function mixedSetsError(code: string, net: string, mixed: MixedSets, target: string, at: Span): Diagnostic {
  return error(code,
    `${net} reads both Γ (${mixed.examples} × ${mixed.items} items per set on ${target}) and per-example gradients (${mixed.examples}): its set b cannot be both`,
    at, 'read either `grads` or `weight_grads` on a target with several items per example');
}

/** `grads(T, b)[c]` → `grads`. */
function spaceOf(type: Expr): string | undefined {
  const base = type.kind === 'index' ? type.base : type;
  return base.kind === 'call' ? base.callee.name : undefined;
}
