// Lowers `eqlinear(x, out, group, bias, terms)`: enumerates the basis between x's type and the
// output type (compiler/symmetry/basis.ts; `terms` keeps a subset of the site terms:
// compiler/symmetry/term-subset.ts) and emits, per term,
//   pool the axes the term averages out  →  (fine/np group) the site_term  →  its own channel matrix
//   →  broadcast the axes the term spreads over,
// then sums the terms (and adds one bias vector, which is invariant under every group here).
// Pooling before the channel matrix and broadcasting after it is the cheap order (they commute).
import type { Span } from '../syntax/ast.js';
import type { TargetLayout } from '../spaces/target.js';
import { basis, basisSize, describe, type BasisTerm } from '../symmetry/basis.js';
import { POINT, setModel, siteModel, type AxisModel, type GroupChoice } from '../symmetry/site-model.js';
import { cellPairFilter, TERM_SUBSETS, type TermSubset } from '../symmetry/term-subset.js';
import type { GraphBuilder } from './graph-builder.js';
import type { AxisName, ParamInit, ValueId } from './ops.js';
import { formatType, type TensorType } from './types.js';

/** The largest basis lowered (each term is a few IR nodes and its own channel matrix). */
export const MAX_TERMS = 4096;

export interface EqlinearInfo {
  /** The node label of the result (e.g. `set_layer.eqlinear1`). */
  label: string;
  span: Span;
  group: GroupChoice;
  /** Which site terms were kept (`all`: the complete basis). */
  subset: TermSubset;
  from: TensorType;
  to: TensorType;
  /** One readable description per basis term, e.g. `set[a]←set[a] · T.neurons[b]←T.neurons[c]`. */
  terms: string[];
  bias: boolean;
}

export interface EqlinearContext {
  b: GraphBuilder;
  targets: ReadonlyMap<string, TargetLayout>;
  /** Creates a learned [cin, cout] matrix or [c] vector with a unique name derived from `base`. */
  param(base: string, shape: number[], init: ParamInit, span: Span): ValueId;
  fail(code: string, message: string, span: Span, hint?: string): never;
}

export function lowerEqlinear(ctx: EqlinearContext, x: ValueId, to: TensorType, group: GroupChoice,
  subset: { terms: TermSubset; span: Span }, bias: boolean, span: Span, label: string): { id: ValueId; info: EqlinearInfo } {
  const from = ctx.b.typeOf(x);
  const layout = siteLayout(ctx, from, to, span);
  const model = (t: TensorType): { set: AxisModel; site: AxisModel } => ({
    set: t.set === null ? POINT : setModel(t.set.size),
    site: t.site === null ? POINT : siteModel(t.site, layout, group),
  });
  const inM = model(from);
  const outM = model(to);
  if (subset.terms !== 'all' && (layout === null || group === 'coarse')) {
    ctx.fail('ir/eqlinear-terms', `\`terms: ${subset.terms}\` picks site terms by the parameter blocks and neuron segments they join; ${layout === null ? 'this eqlinear has no target site' : 'the coarse group has one bag of positions'}`, subset.span,
      layout === null ? 'leave `terms` out' : 'use `group: np` or `group: fine`, or leave `terms` out');
  }
  const pairs = layout === null ? null : cellPairFilter(subset.terms, layout);
  const size = basisSize(outM.set, inM.set, outM.site, inM.site, pairs);
  if (size > MAX_TERMS) {
    ctx.fail('ir/eqlinear-too-large', `eqlinear from ${formatType(from)} to ${formatType(to)} under the ${group} group of ${layout?.name ?? 'its space'} has ${size} basis terms${subset.terms === 'all' ? '' : ` (terms: ${subset.terms})`} (at most ${MAX_TERMS} are built)`, span,
      tooLargeHint(group, subset.terms, (t) => (layout === null ? size : basisSize(outM.set, inM.set, outM.site, inM.site, cellPairFilter(t, layout)))));
  }
  const terms = basis(outM.set, inM.set, outM.site, inM.site, pairs);
  let acc: ValueId | null = null;
  terms.forEach((term, k) => {
    const v = lowerTerm(ctx, x, from, to, term, group, k, terms.length, span, label);
    acc = acc === null ? v : ctx.b.add({ op: 'binary', fn: 'add', a: acc, b: v }, to, span, label);
  });
  let out = acc!;
  if (bias) out = ctx.b.add({ op: 'bias', x: out, b: ctx.param(`${label}.b`, [to.channels], { kind: 'zeros' }, span) }, to, span, label);
  return { id: out, info: { label, span, group, subset: subset.terms, from, to, terms: terms.map((t) => t.label), bias } };
}

/** What to try instead of a basis too large to build, with the sizes the alternatives would have. */
function tooLargeHint(group: GroupChoice, terms: TermSubset, sizeWith: (t: TermSubset) => number): string {
  if (group === 'fine') return 'the fine group pins each fixed neuron (inputs, outputs, vocabulary) separately; `group: np` (UNF / NFN_NP: fixed neurons permuted too) keeps the map equivariant with a basis independent of their number';
  if (group === 'coarse') return 'use a smaller target';
  // The subsets in TERM_SUBSETS order shrink: offer those after the one used.
  const smaller = TERM_SUBSETS.slice(TERM_SUBSETS.indexOf(terms) + 1);
  const options = smaller.map((t) => `\`terms: ${t}\` (${sizeWith(t)} terms)`);
  return options.length === 0 ? 'use a smaller target' : `keep a subset of the basis, still equivariant: ${options.join(' or ')}`;
}

/** The target both sides live on (null when neither has a target site). */
function siteLayout(ctx: EqlinearContext, from: TensorType, to: TensorType, span: Span): TargetLayout | null {
  for (const s of [from.site, to.site]) {
    if (s?.kind === 'fixed') ctx.fail('ir/eqlinear-fixed-axis', `eqlinear over the positional axis ${s.label} has no symmetry to exploit`, span, 'use `linear` or `dense`');
  }
  const a = from.site?.kind === 'neurons' || from.site?.kind === 'params' ? from.site.target : null;
  const b = to.site?.kind === 'neurons' || to.site?.kind === 'params' ? to.site.target : null;
  if (a !== null && b !== null && a !== b) {
    ctx.fail('ir/space-mismatch', `eqlinear from ${formatType(from)} to ${formatType(to)} mixes two targets`, span);
  }
  const name = a ?? b;
  return name === null ? null : ctx.targets.get(name)!;
}

function lowerTerm(ctx: EqlinearContext, x: ValueId, from: TensorType, to: TensorType, term: BasisTerm, group: GroupChoice,
  k: number, count: number, span: Span, label: string): ValueId {
  const tlabel = `${label}.t${k}`;
  const pooled: AxisName[] = [];
  const spread: AxisName[] = [];
  // The set axis: kept when its out and in slots share a class (identity), else pooled/spread.
  if (from.set !== null && (to.set === null || !sharesClass(term.set.labels))) pooled.push('set');
  if (to.set !== null && (from.set === null || !sharesClass(term.set.labels))) spread.push('set');
  const fineSite = group !== 'coarse' && (from.site !== null || to.site !== null);
  if (!fineSite) {
    if (from.site !== null && (to.site === null || !sharesClass(term.site.labels))) pooled.push('site');
    if (to.site !== null && (from.site === null || !sharesClass(term.site.labels))) spread.push('site');
  }
  let v = x;
  let type = from;
  if (pooled.length > 0) {
    type = { set: pooled.includes('set') ? null : type.set, site: pooled.includes('site') ? null : type.site, channels: type.channels };
    v = ctx.b.add({ op: 'reduce', fn: 'mean', x: v, axes: pooled }, type, span, tlabel);
  }
  if (fineSite) {
    const target = (to.site ?? from.site) as { target: string };
    type = { set: type.set, site: to.site, channels: type.channels };
    v = ctx.b.add({
      op: 'site_term', x: v,
      term: { target: target.target, out: term.site.out.ref, in: term.site.in.ref, labels: term.site.labels },
    }, type, span, `${tlabel} ${describe(term.site)}`);
  }
  // Fan-in of the summed map: every term contributes cin inputs.
  const w = ctx.param(tlabel, [from.channels, to.channels], { kind: 'uniform_fan_in', fanIn: from.channels * count }, span);
  type = { ...type, channels: to.channels };
  v = ctx.b.add({ op: 'matmul', x: v, w, transposeW: false }, type, span, tlabel);
  if (spread.length > 0) v = ctx.b.add({ op: 'broadcast', x: v, axes: spread }, to, span, tlabel);
  return v;
}

/** Do the out cell's slot and the in cell's slot (one each, coarse/set axes) carry the same class? */
function sharesClass(labels: BasisTerm['set']['labels']): boolean {
  const [o, i] = labels;
  return o !== undefined && i !== undefined && 'class' in o && 'class' in i && o.class === i.class;
}
