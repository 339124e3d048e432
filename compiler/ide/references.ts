// Find references: every use, in every loaded module, of what the name under the cursor refers to
// (the same declaration, parameter or `let`), found by resolving each name as hover does.
import type { ResolvedModule, ResolvedProgram } from '../resolve/resolve.js';
import type { Span } from '../syntax/ast.js';
import { walk } from './ast-walk.js';
import { definitionSpan, nameAt } from './scope.js';

export function referencesAt(program: ResolvedProgram, module: ResolvedModule, offset: number, includeDeclaration: boolean): Span[] {
  const at = nameAt(module, offset);
  const definition = at?.referent === undefined ? undefined : definitionSpan(at.referent);
  if (at === undefined || definition === undefined) return [];
  const same = (s: Span): boolean => s.file === definition.file && s.start.offset === definition.start.offset;
  const out: Span[] = [];
  for (const m of program.modules.values()) {
    walk(m.program, (node) => {
      // Only a name spelled the same can refer to it: resolve just those.
      const isName = ('kind' in node && node.kind === 'name') || (!('kind' in node) && 'name' in node && typeof node.name === 'string');
      if (!isName || (node as unknown as { name: string }).name !== at.name) return;
      const found = nameAt(m, node.span.start.offset);
      if (found?.referent === undefined || found.span.start.offset !== node.span.start.offset) return;
      const def = definitionSpan(found.referent);
      if (def === undefined || !same(def)) return;
      if (!includeDeclaration && same(found.span)) return;
      if (!out.some((s) => s.file === found.span.file && s.start.offset === found.span.start.offset)) out.push(found.span);
    });
  }
  return out;
}
