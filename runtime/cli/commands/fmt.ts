// `gmn fmt FILE... [--check]`: formats .gmn files in place (compiler/format/format.ts), as gofmt -w
// and rustfmt do; `--check` only reports the files that are not formatted (for CI).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { formatSource, sameTokensAndComments } from '../../../compiler/format/format.js';
import { parseSource } from '../../../compiler/syntax/parse.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const fmtCommand: Command = {
  name: 'fmt',
  summary: 'format .gmn files in place (--check: only report)',
  usage: [
    'usage: gmn fmt [--check] FILE...',
    '',
    'Rewrites each file in its canonical layout: indentation and the spaces between tokens. Only',
    'whitespace changes (tokens, comments and line breaks stay as written), and formatting a',
    'formatted file changes nothing. A file with syntax errors is reported and left alone.',
    '',
    'options:',
    '  --check   write nothing; list the files that are not formatted',
    '',
    'exit codes: 0 all formatted (or now formatted), 1 a file has errors or (--check) is not',
    'formatted, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { check: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('no input files', this);
    let failed = false;
    let unformatted = false;
    for (const file of positionals) {
      const source = readSource(file);
      if (source === undefined) {
        failed = true;
        continue;
      }
      const parsed = parseSource(source, file);
      if (parsed.diagnostics.some((d) => d.severity === 'error')) {
        process.stderr.write(renderDiagnostics(parsed.diagnostics, new Map([[file, source]])));
        process.stderr.write(`${file}: not formatted: fix the errors above first\n`);
        failed = true;
        continue;
      }
      const formatted = formatSource(source);
      if (!sameTokensAndComments(source, formatted)) throw new Error(`the formatter changed more than whitespace in ${file}`);
      if (formatted === source) continue;
      if (values.check) {
        process.stderr.write(`${file}: not formatted\n`);
        unformatted = true;
      } else {
        writeFileSync(file, formatted);
      }
    }
    if (unformatted) process.stderr.write('  hint: run `gmn fmt FILE...` to format them in place\n');
    return failed || unformatted ? EXIT.diagnostics : EXIT.ok;
  },
};

function readSource(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const reason = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    process.stderr.write(`${file}: error: cannot read the file (${reason})\n  hint: check the path; gmn fmt takes .gmn files\n`);
    return undefined;
  }
}
