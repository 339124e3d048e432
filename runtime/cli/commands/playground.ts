// `gmn playground [--port N] [--host H] [--no-build]`: builds the browser playground when its
// sources are newer than dist/playground (scripts/build-playground.mjs), serves it on loopback and
// prints the URL; Ctrl-C stops it cleanly (docs/playground.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../compiler/resolve/package-root.js';
import { serveFolder } from '../../playground/static-server.js';
import { HintedError } from '../../util/hinted-error.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

/** The folders the site is built from: a change in any of them makes the built site stale. */
const SOURCE_FOLDERS = ['compiler', 'runtime', 'std', 'dsl-examples'];
const BUILT_FILES = ['index.html', 'style.css', 'main.js', 'worker.js'];

export const playgroundCommand: Command = {
  name: 'playground',
  summary: 'serve the browser playground (editor, certificate, kernels, training on the page\'s WebGPU) locally',
  usage: [
    'usage: gmn playground [--port N] [--host H] [--no-build]',
    '',
    'Builds the playground into dist/playground when its sources changed since the last build, serves',
    'it over HTTP and prints the URL to open. Ctrl-C stops the server.',
    '',
    'options:',
    '  --port N     the port to listen on (default 8080; 0 picks a free one)',
    '  --host H     the address to listen on (default 127.0.0.1, this machine only)',
    '  --no-build   serve dist/playground as it is',
    '',
    'exit codes: 0 stopped by Ctrl-C, 1 build failed or port taken, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-build': { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument \`${positionals[0]}\``, this);
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not \`${values.port}\``, this);

    const root = packageRoot();
    const site = join(root, 'dist', 'playground');
    if (values['no-build'] !== true) buildIfStale(root, site);
    if (!BUILT_FILES.every((f) => existsSync(join(site, f)))) {
      throw new HintedError(`the playground is not built (${site} is missing or incomplete)`, 'run without --no-build, or `npm run build:playground` in a checkout of gmn');
    }

    const { server, url } = await serveFolder(site, port, values.host);
    process.stdout.write(`gmn playground: serving ${site} at ${url}  (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        server.closeAllConnections();
        server.close(() => resolve());
      };
      process.on('SIGINT', stop).on('SIGTERM', stop);
    });
    process.stdout.write('gmn playground: stopped\n');
    return EXIT.ok;
  },
};

/** Runs scripts/build-playground.mjs when a source is newer than the built site (or it is missing). */
function buildIfStale(root: string, site: string): void {
  const script = join(root, 'scripts', 'build-playground.mjs');
  if (!existsSync(script)) return; // an installed package: no sources to build from
  const built = BUILT_FILES.map((f) => join(site, f));
  const builtAt = built.every(existsSync) ? Math.min(...built.map((f) => statSync(f).mtimeMs)) : -Infinity;
  if (SOURCE_FOLDERS.every((folder) => newestMtime(join(root, folder)) <= builtAt)) return;
  process.stderr.write('gmn playground: building the site (scripts/build-playground.mjs)\n');
  const build = spawnSync(process.execPath, [script], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new HintedError('the playground build failed (its errors are above)', 'fix the reported file, or serve the last build with --no-build');
}

function newestMtime(folder: string): number {
  if (!existsSync(folder)) return -Infinity;
  let newest = -Infinity;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
