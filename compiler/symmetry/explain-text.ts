// The human-readable certificate of one net, as `gmn explain` prints it (and the playground shows):
// the proved statement, the eqlinear bases, the rule at every op, optionally the IR.
import { dumpGraph } from '../ir/dump.js';
import type { NetReport } from './program.js';

/** The nets `gmn explain FILE` shows: those FILE declares or its tasks train (not the probes of the modules it uses). */
export function explainedNets(reports: readonly NetReport[], file: string): NetReport[] {
  return reports.filter((r) => r.file === file || r.instance !== 'probe');
}

/** The human-readable certificate of one net. */
export function explainText(r: NetReport, ir: boolean): string {
  const lines = [`net ${r.net}  (${r.file}, ${r.instance})`];
  const c = r.certificate;
  if (c === null) {
    lines.push('  not certified: see the diagnostics above');
  } else {
    lines.push(`  proved: ${c.statement}`);
    for (const r of c.renders) lines.push(`  renders: ${r}`);
    lines.push(`  parameters: ${c.paramCount}`);
    for (const e of c.eqlinears) {
      lines.push(`  eqlinear ${e.label} (${e.group} group${e.subset === 'all' ? '' : `, terms: ${e.subset}`}) ${e.from} → ${e.to}: ${e.terms.length} basis terms`);
      for (const t of e.terms) lines.push(`      ${t}`);
    }
    lines.push('  rules:');
    for (const op of c.ops) lines.push(`    %${op.id} ${op.op.padEnd(12)} ${op.label.padEnd(28)} ${op.rule}${op.breaks.length > 0 ? `  [${op.breaks.join('; ')}]` : ''}`);
  }
  if (ir && r.lowered !== null) lines.push('', dumpGraph(r.lowered.graph, r.lowered.instantiation));
  return `${lines.join('\n')}\n`;
}
