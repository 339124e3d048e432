// The target a task trains on, elaborated into its layout: shared by `gmn run` and the queue's
// workers, which rebuild a task from its text.
import { DiagnosticError, error } from '../../compiler/diagnostics/diagnostic.js';
import { lookup, type ResolvedModule } from '../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../compiler/spaces/elaborate.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';

/** The layout of the target a task trains on; a DiagnosticError at the task when there is none. */
export function taskTarget(root: ResolvedModule, task: TaskDecl, name: string): TargetLayout {
  const sym = lookup(root, name);
  if (sym === undefined || sym.kind !== 'target') {
    throw new DiagnosticError([error('run/unknown-target', `\`${name}\` is not a target declared in this file`, task.name.span)]);
  }
  const target = elaborateTarget(sym.decl);
  if (!target.ok) throw new DiagnosticError(target.diagnostics);
  return target.value;
}
