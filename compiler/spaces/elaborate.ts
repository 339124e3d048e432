// Target elaboration: the expression of a `target X = mlp(...)` (or any registered family's
// constructor) → a TargetSpec (checked values, defaults applied) → a TargetLayout (segments and
// param blocks). Argument names and kinds were already checked by the resolver against the family's
// parameters; the family checks *values* (positive widths, odd kernels, divisibility) and reports
// them as diagnostics (compiler/spaces/families.ts lists the families).
import type { Expr, TargetDecl } from '../syntax/ast.js';
import { fail, type Elaborated } from './arguments.js';
import { familyOf, findFamily, TARGET_FAMILIES } from './families.js';
import type { TargetLayout, TargetSpec } from './target.js';

export type { Elaborated } from './arguments.js';

/** Elaborates a target declaration all the way to its layout. */
export function elaborateTarget(decl: TargetDecl): Elaborated<TargetLayout> {
  const spec = targetSpec(decl.value);
  if (!spec.ok) return spec;
  return targetLayout(decl.name.name, spec.value);
}

/** `mlp(widths: [...], activation: ..., init: ...)`, `transformer(...)`, ... → its spec. */
export function targetSpec(expr: Expr): Elaborated<TargetSpec> {
  const constructors = TARGET_FAMILIES.map((f) => `\`${f.name}(...)\``);
  if (expr.kind !== 'call') {
    return fail('spaces/not-a-target', `a target must be built by ${constructors.slice(0, -1).join(', ')} or ${constructors.at(-1)}`, expr.span);
  }
  const family = findFamily(expr.callee.name);
  if (family === undefined) {
    return fail('spaces/not-a-target', `\`${expr.callee.name}\` is not a target constructor`, expr.callee.span,
      `use ${constructors.slice(0, -1).join(', ')} or ${constructors.at(-1)}`);
  }
  return family.spec(expr);
}

/** The layout of a spec, by its family. */
export function targetLayout(name: string, spec: TargetSpec): Elaborated<TargetLayout> {
  return { ok: true, value: familyOf(spec).layout(name, spec) };
}

/** Elements of Γ's set one example of the target contributes (tokens, positions; 1 for an MLP). */
export function itemsPerExample(spec: TargetSpec): number {
  return familyOf(spec).itemsPerExample(spec);
}
