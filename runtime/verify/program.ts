// Verification of every net of a program: each net is lowered with the same instantiation policy as
// `gmn check` / `gmn explain` (task instantiations, else the probe target; see
// compiler/symmetry/program.ts) and checked numerically by the harness.
import type { ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { certifyProgram } from '../../compiler/symmetry/program.js';
import { verifyGraph, type VerifyReport } from './harness.js';

/** Above this float64 error a net counts as not equivariant; below CONFIRMED a declared break is unconfirmed. */
export const EQUIVARIANCE_TOLERANCE = 1e-8;
export const CONFIRMED = 1e-6;

export interface NetVerification {
  net: string;
  file: string;
  instance: string;
  /** null when the net did not lower or certify (its diagnostics say why). */
  report: VerifyReport | null;
  /** Equivariant within tolerance, and every declared break confirmed. */
  verified: boolean;
}

export function verifyProgram(program: ResolvedProgram, seed: number, rootFile?: string): NetVerification[] {
  return certifyProgram(program)
    .filter((r) => rootFile === undefined || r.file === rootFile || r.instance !== 'probe')
    .map((r) => {
      if (r.lowered === null || r.certificate === null) return { net: r.net, file: r.file, instance: r.instance, report: null, verified: false };
      const report = verifyGraph(r.lowered.graph, r.lowered.instantiation, { seed });
      const verified = report.equivariance < EQUIVARIANCE_TOLERANCE
        && (report.invariance === null || report.invariance < EQUIVARIANCE_TOLERANCE)
        && report.breaks.every((b) => b.error > CONFIRMED);
      return { net: r.net, file: r.file, instance: r.instance, report, verified };
    });
}
