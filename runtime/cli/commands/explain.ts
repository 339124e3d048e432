// `gmn explain FILE [--ir] [--json]`: for every net of FILE (and every net its tasks train), the
// symmetry certificate — the proved statement, the rule at each op, the basis of each eqlinear and
// the parameter count — or the diagnostics that stop it.
import { diagnosticsToJson, renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { dumpGraph } from '../../../compiler/ir/dump.js';
import { explainText } from '../../../compiler/symmetry/explain-text.js';
import { explain } from '../../api/check.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'print the symmetry certificate of each net (the rule at each op, eqlinear bases, parameter counts)',
  usage: [
    'usage: gmn explain [--ir] [--json] FILE',
    '',
    'Checks FILE like `gmn check`, then prints, for each net declared in FILE and each net its tasks',
    'train: the instantiation (task target and set size, or the probe target mlp [2,3,4,2], b = 4),',
    'the proved statement, the typing rule applied at every op, the basis terms of every eqlinear,',
    'and the number of learned parameters.',
    '',
    'options:',
    '  --ir     also print the IR graph of each net',
    '  --json   print the reports as JSON on stdout',
    '',
    'exit codes: 0 every net certified, 1 errors found, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { json: { type: 'boolean' }, ir: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file', this);
    const { result, nets: reports } = explain(positionals[0]!);
    const failed = !result.ok;
    if (values.json) {
      const json = {
        diagnostics: diagnosticsToJson(result.diagnostics),
        nets: reports.map((r) => ({
          net: r.net, file: r.file, instance: r.instance, certificate: r.certificate,
          ...(values.ir && r.lowered !== null ? { ir: dumpGraph(r.lowered.graph, r.lowered.instantiation) } : {}),
        })),
      };
      process.stdout.write(`${JSON.stringify(json, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`);
    } else {
      process.stderr.write(renderDiagnostics(result.diagnostics, result.sources));
      process.stdout.write(reports.map((r) => explainText(r, values.ir === true)).join('\n'));
    }
    return failed ? EXIT.diagnostics : EXIT.ok;
  },
};
