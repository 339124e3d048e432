// Generic walks over the AST for editor features: every node carries a span, so the nodes under a
// cursor are those whose span contains it, found without a visitor per node kind.
import type { Node, Span } from '../syntax/ast.js';

/** Whether `offset` lies in `span` or right after it (a cursor at the end of a name is on it). */
export function spanContains(span: Span, offset: number): boolean {
  return span.start.offset <= offset && offset <= span.end.offset;
}

/** The AST nodes directly below `node`, in source order. */
export function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'span') continue;
    for (const v of Array.isArray(value) ? value : [value]) if (isNode(v)) out.push(v);
  }
  return out.sort((a, b) => a.span.start.offset - b.span.start.offset);
}

/** The nodes whose span contains `offset`, outermost first (the last is the innermost). */
export function nodesAt(root: Node, offset: number): Node[] {
  const path: Node[] = [];
  let current: Node | undefined = root;
  while (current !== undefined) {
    path.push(current);
    // The first child that contains it: a cursor between `a` and `+` in `a+b` is on `a`.
    current = childNodes(current).find((c) => spanContains(c.span, offset));
  }
  return path;
}

/** Every node below `root` (depth first, source order), each with its parent. */
export function walk(root: Node, visit: (node: Node, parent: Node) => void): void {
  for (const child of childNodes(root)) {
    visit(child, root);
    walk(child, visit);
  }
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && 'span' in v;
}
