// `gmn verify FILE [--json] [--seed N]`: the numeric counterpart of the certificate. Each net of
// FILE (instantiated as `gmn explain` does) runs on the float64 reference executor with random
// seeded parameters, on random inputs and on their images under random group elements; it prints
// the max equivariance error, the invariance error, the sensitivity margin (the error under
// non-group transformations, which should be large) and, for @breaks declarations, the error that
// confirms them.
import { checkFiles } from '../../../compiler/check.js';
import { diagnosticsToJson, renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { verifyProgram, type NetVerification } from '../../verify/program.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check each net\'s equivariance numerically (random group elements, sensitivity to non-group ones)',
  usage: [
    'usage: gmn verify [--json] [--seed N] FILE',
    '',
    'Checks FILE like `gmn check`, then runs each net (instantiated as `gmn explain` does) in float64',
    'with random parameters on random inputs x and on g·x for random group elements g (set',
    'permutations, permutations of each hidden layer) and prints, per net:',
    '  equivariance   max |f(g·x) − g·f(x)| / |g·f(x)| (must be < 1e-8)',
    '  invariance     the same for set permutations alone, when the output has no set axis',
    '  sensitivity    the error under non-group transformations (permuting input/output neurons,',
    '                 or the rows of W_l without the columns of W_l+1): large means the net is not',
    '                 trivially symmetric',
    '  breaks         for each @breaks axis, the error under that group (must be clearly > 0)',
    '',
    'options:',
    '  --json     print the figures as JSON on stdout',
    '  --seed N   seed of the parameters, inputs and group elements (default 0)',
    '',
    'exit codes: 0 every net verified, 1 errors or a failed check, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { json: { type: 'boolean' }, seed: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file', this);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got \`${values.seed}\``, this);
    const result = checkFiles(positionals);
    const failed = result.diagnostics.some((d) => d.severity === 'error');
    const root = result.program.roots[0];
    const nets = root === undefined ? [] : verifyProgram(result.program, seed, root.file);
    if (values.json) {
      const json = { seed, diagnostics: diagnosticsToJson(result.diagnostics), nets: nets.map(netJson) };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      process.stderr.write(renderDiagnostics(result.diagnostics, result.sources));
      process.stdout.write(nets.map(netText).join(''));
    }
    return failed || nets.some((n) => !n.verified) ? EXIT.diagnostics : EXIT.ok;
  },
};

function netJson(n: NetVerification): object {
  const r = n.report;
  return {
    net: n.net, file: n.file, instance: n.instance, verified: n.verified,
    equivariance: r?.equivariance ?? null,
    invariance: r?.invariance ?? null,
    sensitivityMargin: r?.sensitivityMargin ?? null,
    sensitivity: Object.fromEntries((r?.sensitivity ?? []).map((s) => [s.kind, s.error])),
    breaks: Object.fromEntries((r?.breaks ?? []).map((b) => [b.axis === 'site' ? 'neurons' : b.axis, b.error])),
  };
}

const fmt = (x: number): string => x.toExponential(2);

function netText(n: NetVerification): string {
  const lines = [`net ${n.net}  (${n.file}, ${n.instance})  ${n.verified ? 'verified' : 'NOT VERIFIED'}`];
  const r = n.report;
  if (r === null) {
    lines.push('  not lowered: see the diagnostics above');
  } else {
    lines.push(`  equivariance error  ${fmt(r.equivariance)}`);
    lines.push(`  invariance error    ${r.invariance === null ? '-' : fmt(r.invariance)}`);
    const parts = r.sensitivity.map((s) => `${s.kind} ${fmt(s.error)}`).join(', ');
    lines.push(`  sensitivity margin  ${fmt(r.sensitivityMargin)}${parts === '' ? '' : `  (${parts})`}`);
    for (const b of r.breaks) lines.push(`  breaks ${(b.axis === 'site' ? 'neurons' : b.axis).padEnd(12)} ${fmt(b.error)}`);
  }
  return `${lines.join('\n')}\n`;
}
