// Verification of every net of a program: each net is lowered with the same instantiation policy as
// `gmn check` / `gmn explain` (task instantiations — optionally as a preset trains them — else the
// probe target; see compiler/symmetry/program.ts) and checked numerically by the harness on the
// given backend.
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import type { ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { certifyProgram, type CertifyOptions } from '../../compiler/symmetry/program.js';
import { referenceBackend, type VerifyBackend } from './backend.js';
import { verifyGraph, type VerifyReport } from './harness.js';

export interface NetVerification {
  net: string;
  file: string;
  instance: string;
  /** null when the net did not lower or certify (its diagnostics say why). */
  report: VerifyReport | null;
  /** Equivariant within the backend's tolerance, and every declared break confirmed. */
  verified: boolean;
}

export async function verifyProgram(
  program: ResolvedProgram, seed: number, rootFile?: string, backend: VerifyBackend = referenceBackend, instances: CertifyOptions = {},
): Promise<NetVerification[]> {
  const out: NetVerification[] = [];
  for (const r of certifyProgram(program, instances)) {
    if (rootFile !== undefined && r.file !== rootFile && r.instance === 'probe') continue;
    if (r.lowered === null || r.certificate === null) {
      out.push({ net: r.net, file: r.file, instance: r.instance, report: null, verified: false });
      continue;
    }
    out.push(await verifyNet(r.net, r.file, r.instance, r.lowered.graph, r.lowered.instantiation, { seed, backend }));
  }
  return out;
}

/** One net, with random (seeded) or given parameters, judged by the backend's tolerances. */
export async function verifyNet(
  net: string, file: string, instance: string, graph: Graph, inst: Instantiation,
  options: { seed: number; backend: VerifyBackend; params?: ReadonlyMap<string, Float64Array> },
): Promise<NetVerification> {
  const report = await verifyGraph(graph, inst, options);
  return { net, file, instance, report, verified: isVerified(report, options.backend) };
}

export function isVerified(report: VerifyReport, backend: VerifyBackend): boolean {
  return report.equivariance < backend.tolerance
    && (report.invariance === null || report.invariance < backend.tolerance)
    && report.breaks.every((b) => b.error > backend.confirmed);
}
