// What the checker knows of one expression: for every instantiation of the net it sits in, the IR
// value it lowers to, its symmetry type and shape, and which groups it respects — e.g.
// `task curvature: grads(Siren, b=128)[16], shape [128, 66, 16]: S_128-equivariant, S_32×S_32-equivariant`.
import type { Lowered } from '../ir/lower.js';
import type { ValueId } from '../ir/ops.js';
import { formatType, shapeOf } from '../ir/types.js';
import { propagateSymmetries, type Propagation } from '../symmetry/check.js';
import { groupName, siteTarget } from '../symmetry/group.js';
import type { NetReport } from '../symmetry/program.js';
import type { Span } from '../syntax/ast.js';

/** One line per instantiation that lowers an expression with exactly this span (or, failing that, the smallest one around it). */
export function valueTypeLines(reports: readonly NetReport[], span: Span): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.lowered === null) continue;
    const id = valueAt(r, span);
    if (id === undefined) continue;
    const line = `${r.net} (${r.instance}): ${describeValue(r, propagationOf(r.lowered), id)}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

/** Each lowered graph's propagation, computed on its first hover and kept while the graph lives. */
const propagations = new WeakMap<Lowered, Propagation>();

function propagationOf(lowered: Lowered): Propagation {
  let p = propagations.get(lowered);
  if (p === undefined) propagations.set(lowered, (p = propagateSymmetries(lowered)));
  return p;
}

/** The graph value an expression produces: the last node of its span (its own ops come before it). */
function valueAt(report: NetReport, span: Span): ValueId | undefined {
  const nodes = report.lowered!.graph.nodes.filter((n) => n.span.file === span.file
    && n.span.start.offset <= span.start.offset && span.end.offset <= n.span.end.offset);
  if (nodes.length === 0) return undefined;
  const width = (s: Span): number => s.end.offset - s.start.offset;
  const narrowest = Math.min(...nodes.map((n) => width(n.span)));
  return nodes.filter((n) => width(n.span) === narrowest).at(-1)!.id;
}

function describeValue(report: NetReport, propagation: Propagation, id: ValueId): string {
  const { graph, instantiation: inst } = report.lowered!;
  const type = graph.nodes[id]!.type;
  const broken = propagation.broken[id]!;
  const claims: string[] = [];
  const inputs = [...graph.inputs.values()].map((i) => graph.nodes[i]!.type);
  const set = inputs.find((t) => t.set !== null)?.set ?? null;
  if (set !== null && set.size >= 2) {
    claims.push(claim(`S_${set.size}`, broken.get('set')?.[0]?.node.label, type.set !== null));
  }
  const targets = new Set([...inputs, type].map(siteTarget).filter((t): t is string => t !== null));
  for (const t of targets) {
    const g = groupName(inst.targets.get(t)!);
    if (g !== 'trivial') claims.push(claim(g, broken.get(`site:${t}`)?.[0]?.node.label, siteTarget(type) === t));
  }
  const shape = `shape [${shapeOf(type, inst).join(', ')}]`;
  return `${formatType(type)}, ${shape}${claims.length === 0 ? '' : `: ${claims.join(', ')}`}`;
}

function claim(group: string, breaker: string | undefined, equivariant: boolean): string {
  if (breaker !== undefined) return `not ${group}-symmetric (broken at \`${breaker}\`)`;
  return `${group}-${equivariant ? 'equivariant' : 'invariant'}`;
}
