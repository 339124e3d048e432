// Packages the VS Code extension (runtime/editors/vscode) into dist/gmn-vscode-<version>.vsix, offline: the
// extension and its language client are bundled by esbuild into one file, and @vscode/vsce (a
// devDependency) zips it with the grammar and manifest, with no dependency lookup.
// Usage: node scripts/build-vsix.mjs   (npm run package:vscode)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const extension = join(repo, 'runtime', 'editors', 'vscode');
const { version } = JSON.parse(readFileSync(join(extension, 'package.json'), 'utf8'));
const out = join(repo, 'dist', `gmn-vscode-${version}.vsix`);

await build({
  entryPoints: [join(extension, 'src', 'extension.mts')],
  outfile: join(extension, 'dist', 'extension.js'),
  bundle: true,
  platform: 'node',
  // VS Code loads extensions with require(); `vscode` is provided by the editor.
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  logLevel: 'warning',
});

mkdirSync(dirname(out), { recursive: true });
const vsce = join(dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
// --no-dependencies: the bundle holds them; the license and repository are the gmn package's.
const packaged = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', out], {
  cwd: extension, stdio: 'inherit',
});
if (packaged.status !== 0) {
  process.stderr.write(`build-vsix: vsce failed (exit ${packaged.status})\n`);
  process.exit(1);
}
process.stdout.write(`${out}\n`);
