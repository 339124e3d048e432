// The optimisation stage: which rules run where. Each pass is the rewrite engine (rewrite.ts, with
// CSE built in) over a list of rules, then dead-code elimination.
//
//   optimizeNet    a lowered net, before autodiff: the rewrites that change which tensors exist, so
//                  the backward pass is derived from (and is as cheap as) the optimised forward one
//   optimizeStep   a training-step (or any) graph, just before planning: what autodiff leaves
//                  behind — repeated reductions of one cotangent, masks read from pre-activations,
//                  gradients nobody asked for — and the stacking of an eqlinear's site terms and
//                  their channel maps into one `site_terms` (after autodiff: it has no backward)
// Elementwise fusion is not a rewrite of the IR but a planning decision (compiler/wgsl/plan.ts).
import type { Graph, ValueId } from '../ir/ops.js';
import type { Instantiation } from '../ir/types.js';
import { andThen, eliminateDeadCode, rewrite, type Rewritten, type Rule } from './rewrite.js';
import { linearOfConcat, linearOfRowCopy, linearOfSiteTerm } from './rules/linear.js';
import { batchSumLast, reduceOfBroadcast, reduceOfConcat, reductionOfPartial, setReductionFirst } from './rules/reduce.js';
import { pointwiseBeforeBroadcast, pointwiseBeforeGather } from './rules/pointwise.js';
import { reluGradOfRelu } from './rules/relu.js';
import { stackedSiteTerms } from './rules/site-terms.js';
import { smallTermsFirst } from './rules/sums.js';

export const NET_RULES: readonly Rule[] = [linearOfRowCopy, linearOfSiteTerm, linearOfConcat, reduceOfConcat, reduceOfBroadcast, setReductionFirst, pointwiseBeforeBroadcast, pointwiseBeforeGather, smallTermsFirst];

export const STEP_RULES: readonly Rule[] = [reluGradOfRelu, batchSumLast, reductionOfPartial, pointwiseBeforeBroadcast, smallTermsFirst, stackedSiteTerms];

export function optimizeNet(graph: Graph, inst: Instantiation): Graph {
  return andThen(rewrite(graph, NET_RULES, inst), (g) => eliminateDeadCode(g)).graph;
}

/** `keep`: further values the caller reads (besides the graph's outputs). */
export function optimizeStep(graph: Graph, inst: Instantiation, keep: readonly ValueId[] = []): Rewritten {
  const rewritten = rewrite(graph, STEP_RULES, inst);
  return andThen(rewritten, (g) => eliminateDeadCode(g, keep.map((id) => rewritten.moved.get(id)!)));
}
