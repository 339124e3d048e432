// What a typing rule is. Each op kind has one rule (registry.ts). A rule looks at one node, knowing
// its operands' types, and says why the node is equivariant under the group — or which symmetry it
// breaks. Brokenness then propagates to everything computed from the node (checker.ts), so each
// breakage is reported once, at the op that causes it.
import type { Node, Op } from '../../ir/ops.js';
import type { Instantiation, TensorType } from '../../ir/types.js';

/** A symmetry a value may fail to respect: the set's S_b, or a target's group on its sites. */
export type Symmetry = { kind: 'set' } | { kind: 'site'; target: string };

export const symmetryKey = (s: Symmetry): string => (s.kind === 'set' ? 'set' : `site:${s.target}`);

export interface Breakage {
  symmetry: Symmetry;
  /** Names the op and the symmetry, e.g. `dense layer over axis neurons(T) mixes ...: breaks S_3`. */
  message: string;
  hint?: string;
}

export interface Verdict {
  /** The rule's name as the certificate shows it, e.g. `pointwise`, `eqlinear basis term`. */
  rule: string;
  breaks: Breakage[];
}

export interface RuleInput<O extends Op> {
  node: Node & { op: O };
  /** Types of the op's operands by field name (`x`, `a`, ...; `xs` as x0, x1, ...). */
  type: (id: number) => TensorType;
  inst: Instantiation;
}

export type Rule<O extends Op = Op> = (input: RuleInput<O>) => Verdict;

export const holds = (rule: string): Verdict => ({ rule, breaks: [] });
