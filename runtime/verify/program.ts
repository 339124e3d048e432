// Verification of every net of a program: each net is lowered with the same instantiation policy as
// `gmn check` / `gmn explain` (task instantiations — optionally as a preset trains them — else the
// probe target; see compiler/symmetry/program.ts) and checked numerically by the harness on the
// given backend.
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import type { ResolvedProgram } from '../../compiler/resolve/resolve.js';
import { certifyProgram, type CertifyOptions } from '../../compiler/symmetry/program.js';
import { referenceBackend, type VerifyBackend } from './backend.js';
import { verifyGraph, type VerifyOptions, type VerifyReport } from './harness.js';

export interface NetVerification {
  net: string;
  file: string;
  instance: string;
  /** null when the net did not lower or certify (its diagnostics say why). */
  report: VerifyReport | null;
  /** Equivariant within the backend's tolerance, and every declared break confirmed. */
  verified: boolean;
}

/** What a long verification tells its user while it runs (the CLI: runtime/cli/verify-progress.ts). */
export interface VerifyProgress {
  /** Net `index` (from 1) of `count` starts. */
  net(index: number, count: number, net: string, instance: string): void;
  /** A run of the current net finished: `done` of `total`, and what it measured. */
  check(done: number, total: number, check: string): void;
}

export async function verifyProgram(
  program: ResolvedProgram, seed: number, rootFile?: string, backend: VerifyBackend = referenceBackend, instances: CertifyOptions = {},
  progress?: VerifyProgress,
): Promise<NetVerification[]> {
  const out: NetVerification[] = [];
  const reports = certifyProgram(program, instances).filter((r) => rootFile === undefined || r.file === rootFile || r.instance !== 'probe');
  for (const [i, r] of reports.entries()) {
    if (r.lowered === null || r.certificate === null) {
      out.push({ net: r.net, file: r.file, instance: r.instance, report: null, verified: false });
      continue;
    }
    progress?.net(i + 1, reports.length, r.net, describeInstance(r.instance, r.lowered.instantiation));
    out.push(await verifyNet(r.net, r.file, r.instance, r.lowered.graph, r.lowered.instantiation, {
      seed, backend, ...(progress === undefined ? {} : { onCheck: (done, total, check) => progress.check(done, total, check) }),
    }));
  }
  return out;
}

/** `task learned_optimizer on Lm1b`: the instance and its targets (one task instantiates a net on several). */
function describeInstance(instance: string, inst: Instantiation): string {
  const targets = [...inst.targets.keys()];
  return targets.length === 0 || !instance.startsWith('task ') ? instance : `${instance} on ${targets.join(', ')}`;
}

/** One net, with random (seeded) or given parameters, judged by the backend's tolerances. */
export async function verifyNet(
  net: string, file: string, instance: string, graph: Graph, inst: Instantiation,
  options: { seed: number; backend: VerifyBackend; params?: ReadonlyMap<string, Float64Array>; onCheck?: VerifyOptions['onCheck'] },
): Promise<NetVerification> {
  const report = await verifyGraph(graph, inst, options);
  return { net, file, instance, report, verified: isVerified(report, options.backend) };
}

export function isVerified(report: VerifyReport, backend: VerifyBackend): boolean {
  return report.equivariance < backend.tolerance
    && (report.invariance === null || report.invariance < backend.tolerance)
    && report.breaks.every((b) => b.error > backend.confirmed);
}
