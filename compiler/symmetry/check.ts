// The symmetry checker: walks a lowered graph in order, applies each op's typing rule
// (rules/registry.ts), propagates which symmetries each value fails to respect, and at the output
// either proves the net's statement (a certificate) or reports each breakage at the op that caused
// it. `@breaks(set)` / `@breaks(neurons)` declare deliberate breakage (the paper's asymmetric
// baselines): the certificate then says so, and declaring a breakage that does not happen is a
// warning.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Lowered } from '../ir/lower.js';
import type { Node, ValueId } from '../ir/ops.js';
import { operandIds } from './operands.js';
import { formatType, type TensorType } from '../ir/types.js';
import type { Span } from '../syntax/ast.js';
import { groupName, siteTarget } from './group.js';
import { ruleFor } from './rules/registry.js';
import { symmetryKey, type Breakage, type Symmetry } from './rules/rule.js';

export interface OpCertificate {
  id: ValueId;
  op: string;
  label: string;
  span: Span;
  /** The rule that makes this op equivariant (or names what it breaks). */
  rule: string;
  breaks: string[];
}

export interface SymmetryStatus {
  axis: 'set' | 'site';
  /** The target whose group acts (site symmetries). */
  target: string | null;
  /** `S_128` or `S_32×S_32`. */
  group: string;
  status: 'invariant' | 'equivariant' | 'broken (declared)';
}

export interface Certificate {
  net: string;
  /** e.g. `S_128-invariant and S_32×S_32-equivariant: grads(Siren, b=128)[2] → weights(Siren)[1]`. */
  statement: string;
  signature: string;
  symmetries: SymmetryStatus[];
  ops: OpCertificate[];
  eqlinears: { label: string; group: string; subset: string; from: string; to: string; terms: string[] }[];
  paramCount: number;
  /**
   * Every `render` of the net with what is proved of the weights it draws, e.g. `%79 render1 draws
   * %77 add: weights(MnistInr)[1], S_32×S_32-equivariant` — an editor's θ + Δθ, whose rendering is
   * invariant because f_θ does not change when the neurons of θ are permuted.
   */
  renders: string[];
}

export interface CheckResult {
  /** Present when the net is proved (errors absent); declared breakages are part of it. */
  certificate: Certificate | null;
  diagnostics: Diagnostic[];
}

interface Origin { node: Node; breakage: Breakage }

export interface Propagation {
  /** For every value: the symmetries it fails to respect (keyed by `symmetryKey`), each with the ops that broke it. */
  broken: Map<string, Origin[]>[];
  ops: OpCertificate[];
}

/** Applies every op's typing rule in graph order (also what an editor's hover shows of one value). */
export function propagateSymmetries(lowered: Lowered): Propagation {
  const { graph, instantiation: inst } = lowered;
  const type = (id: ValueId): TensorType => graph.nodes[id]!.type;
  const broken: Map<string, Origin[]>[] = [];
  const ops: OpCertificate[] = [];
  for (const node of graph.nodes) {
    const inherited = new Map<string, Origin[]>();
    for (const id of operandIds(node.op)) {
      for (const [k, origins] of broken[id]!) inherited.set(k, [...(inherited.get(k) ?? []), ...origins.filter((o) => !(inherited.get(k) ?? []).includes(o))]);
    }
    const verdict = ruleFor(node.op)({ node, type, inst } as Parameters<ReturnType<typeof ruleFor>>[0]);
    for (const b of verdict.breaks) {
      const k = symmetryKey(b.symmetry);
      if (!inherited.has(k)) inherited.set(k, [{ node, breakage: b }]);
    }
    broken[node.id] = inherited;
    ops.push({ id: node.id, op: node.op.op, label: node.label, span: node.span, rule: verdict.rule, breaks: verdict.breaks.map((b) => b.message) });
  }
  return { broken, ops };
}

/** Proves or rejects one lowered net. `declSpan` locates warnings about the declaration itself. */
export function checkGraph(lowered: Lowered, declSpan: Span): CheckResult {
  const { graph, instantiation: inst } = lowered;
  const type = (id: ValueId): TensorType => graph.nodes[id]!.type;
  const { broken, ops } = propagateSymmetries(lowered);

  const diagnostics: Diagnostic[] = [];
  const declared = new Set(graph.declaredBreaks);
  const atOutput = broken[graph.output]!;
  for (const [, origins] of atOutput) {
    for (const o of origins) {
      if (declared.has(o.breakage.symmetry.kind)) continue;
      const d = error('symmetry/breaks-group', o.breakage.message, o.node.span, o.breakage.hint);
      if (!diagnostics.some((x) => x.message === d.message && x.span.start.offset === d.span.start.offset && x.span.file === d.span.file)) diagnostics.push(d);
    }
  }
  const symmetries = statuses(lowered, atOutput);
  for (const axis of declared) {
    // Symmetries that act and are reported as respected: the declared breakage did not happen.
    const respected = symmetries.some((s) => s.status !== 'broken (declared)' && s.axis === axis);
    if (respected) {
      diagnostics.push({
        severity: 'warning', code: 'symmetry/declared-break-unused',
        message: `net ${graph.name} declares @breaks(${axis === 'set' ? 'set' : 'neurons'}) but respects that symmetry`,
        span: declSpan, hint: 'remove the annotation: the checker proved the symmetry',
      });
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { certificate: null, diagnostics };
  const signature = `${[...graph.inputs.values()].map((id) => formatType(type(id))).join(', ')} → ${formatType(type(graph.output))}`;
  const claims = symmetries.filter((s) => s.status !== 'broken (declared)').map((s) => `${s.group}-${s.status}`);
  const declaredText = symmetries.filter((s) => s.status === 'broken (declared)').map((s) => `not ${s.group}-symmetric (declared @breaks)`);
  const parts = [...claims, ...declaredText];
  const statement = `${parts.length === 0 ? 'no symmetry acts' : parts.join(' and ')}: ${signature}`;
  const paramCount = graph.nodes.reduce((n, x) => n + (x.op.op === 'param' ? x.op.shape.reduce((a, b) => a * b, 1) : 0), 0);
  const eqlinears = lowered.eqlinears.map((e) => ({ label: e.label, group: e.group, subset: e.subset, from: formatType(e.from), to: formatType(e.to), terms: e.terms }));
  const renders = graph.nodes.flatMap((n) => {
    if (n.op.op !== 'render') return [];
    const theta = graph.nodes[n.op.theta]!;
    const g = groupName(inst.targets.get(n.op.target)!);
    const kept = !broken[theta.id]!.has(symmetryKey({ kind: 'site', target: n.op.target }));
    const claim = g === 'trivial' ? 'no group acts' : kept ? `${g}-equivariant` : `not ${g}-equivariant (declared @breaks)`;
    return [`%${n.id} ${n.label} draws %${theta.id} ${theta.label}: ${formatType(theta.type)}, ${claim}; the rendering ${formatType(n.type)} is invariant`];
  });
  return { certificate: { net: graph.name, statement, signature, symmetries, ops, eqlinears, paramCount, renders }, diagnostics };
}

/** What the net claims for each symmetry acting on its inputs. */
function statuses(lowered: Lowered, atOutput: Map<string, Origin[]>): SymmetryStatus[] {
  const { graph, instantiation: inst } = lowered;
  const inputs = [...graph.inputs.values()].map((id) => graph.nodes[id]!.type);
  const out = graph.nodes[graph.output]!.type;
  const result: SymmetryStatus[] = [];
  const status = (s: Symmetry, equivariant: boolean): SymmetryStatus['status'] =>
    atOutput.has(symmetryKey(s)) ? 'broken (declared)' : equivariant ? 'equivariant' : 'invariant';
  const set = inputs.find((t) => t.set !== null)?.set ?? null;
  if (set !== null && set.size >= 2) result.push({ axis: 'set', target: null, group: `S_${set.size}`, status: status({ kind: 'set' }, out.set !== null) });
  const targets = new Set([...inputs, out].map(siteTarget).filter((t): t is string => t !== null));
  for (const t of targets) {
    const g = groupName(inst.targets.get(t)!);
    if (g !== 'trivial') result.push({ axis: 'site', target: t, group: g, status: status({ kind: 'site', target: t }, siteTarget(out) === t) });
  }
  return result;
}
