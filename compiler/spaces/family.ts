// A target family: everything the pipeline asks of one kind of target (`mlp`, `transformer`, `cnn`),
// in one place, so that a new family is one module registered in families.ts rather than branches
// through the stages. The resolver reads the argument schema (names and kinds, for its arity and
// kind checks, completion and hover), elaboration reads `spec` (values: ranges, divisibility, with
// diagnostics at the offending argument) and `layout`, the symmetry stage `itemsPerExample` (how
// many elements of Γ's set one example contributes) and `gmn explain --ir` `describe`.
import type { CallExpr } from '../syntax/ast.js';
import type { BuiltinParam } from '../resolve/builtins.js';
import type { Elaborated } from './arguments.js';
import type { TargetLayout, TargetSpec } from './target.js';

export interface TargetFamily<S extends TargetSpec> {
  /** The constructor's name in a `target` declaration, and the spec's `kind`. */
  name: S['kind'];
  doc: string;
  /** The constructor's parameters: the resolver checks names, arity and argument kinds against them. */
  params: BuiltinParam[];
  /** The checked spec of a call whose names and kinds the resolver accepted; defaults applied. */
  spec(call: CallExpr): Elaborated<S>;
  layout(name: string, spec: S): TargetLayout;
  /** Elements of Γ's set per example: 1 for an MLP, a transformer's tokens, a CNN's positions. */
  itemsPerExample(spec: S): number;
  /** A short form for IR dump headers, e.g. `mlp[2,3,1]`. */
  describe(spec: S): string;
}
