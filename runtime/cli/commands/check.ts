// `gmn check FILE...`: parse and check .gmn files, print diagnostics (text or --json).
import { diagnosticsToJson } from '../../../compiler/diagnostics/render.js';
import { check, formatDiagnostics } from '../../api/check.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'parse and check .gmn files; print their diagnostics',
  usage: [
    'usage: gmn check [--json] FILE...',
    '',
    'Parses each file and the modules it uses, resolves names, and checks arities, argument kinds',
    'and task fields. Prints `file:line:col: error: message` with the source line and a caret.',
    '',
    'options:',
    '  --json   print the diagnostics as a JSON array on stdout',
    '           ({file, line, col, endLine, endCol, severity, code, message, hint})',
    '',
    'exit codes: 0 no errors, 1 errors found, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { json: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('no input files', this);
    const result = check(positionals);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(diagnosticsToJson(result.diagnostics), null, 2)}\n`);
    } else {
      process.stderr.write(formatDiagnostics(result));
    }
    return result.ok ? EXIT.ok : EXIT.diagnostics;
  },
};
