// `gmn lsp`: the language server over stdio, for editors (docs/editors.md).
import { serveLanguage } from '../../lsp/server.js';
import { EXIT, parseCommandArgs, UsageError, type Command } from '../command.js';

export const lspCommand: Command = {
  name: 'lsp',
  summary: 'the language server (LSP over stdio) for editors',
  usage: [
    'usage: gmn lsp [--stdio]',
    '',
    'Speaks the Language Server Protocol on stdin/stdout: diagnostics as `gmn check` reports them,',
    'hover (symmetry types, shapes, certificates, builtin docs), go to definition (into std/), find',
    'references, completion, document symbols and semantic tokens. Editors start it themselves;',
    'docs/editors.md shows how (VS Code, Neovim, Helix, Emacs).',
    '',
    'options:',
    '  --stdio   talk over stdin/stdout (the only transport; accepted because editors pass it)',
  ].join('\n'),
  async run(argv) {
    const { positionals } = parseCommandArgs(this, argv, { stdio: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument \`${positionals[0]}\``, this);
    const connection = serveLanguage(process.stdin, process.stdout);
    // The library itself ends the process on `exit` and when stdin closes (code 0 after `shutdown`, else 1).
    return new Promise((resolve) => connection.onExit(() => resolve(EXIT.ok)));
  },
};
