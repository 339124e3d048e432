// The set size b a curvature task's model is lowered at: compiler/spaces/set-size.ts's rule on the
// task's points — a net on Γ sees every example's items (a CNN's positions), a net on Θ_b the
// examples — so that `gmn run`, `gmn compile` and `gmn verify --params` instantiate a net alike.
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { lookup, type ResolvedModule } from '../../compiler/resolve/resolve.js';
import { mixedSetsError, setSizeOf } from '../../compiler/spaces/set-size.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { ModelConfig } from './task-config.js';

export type ModelSetSize = { ok: true; value: number } | { ok: false; diagnostics: Diagnostic[] };

export function modelSetSize(module: ResolvedModule, model: ModelConfig, points: number, target: TargetLayout): ModelSetSize {
  const sym = lookup(module, model.net);
  if (sym?.kind !== 'net') return { ok: true, value: points }; // lowering names the unknown net
  const size = setSizeOf(sym.decl, points, target.spec);
  if (size.kind === 'size') return { ok: true, value: size.size };
  return { ok: false, diagnostics: [mixedSetsError('run/mixed-sets', model.net, size, target.name, model.span)] };
}
