// Bundles the CLI into one ESM file (dist/gmn.mjs) so `npx gmn` works right after `npm ci`, and the
// library API (runtime/api/index.ts, docs/api.md) into dist/index.mjs; its types are tsc's
// (tsconfig.types.json: `npm run build:types`, and `prepack` before `npm pack`).
// It also writes runtime/playground/embedded-sources.ts (std/ and the examples as a module, for the
// browser playground): generated, never committed, so it cannot go stale.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeEmbeddedSources } from './embed-playground-sources.mjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The commit the bundle is built from (`+dirty` with uncommitted changes), for `gmn bench --json`;
// null outside a git checkout (an npm install).
const git = (...args) => spawnSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
const head = git('rev-parse', 'HEAD');
const commit = head.status === 0 ? `${head.stdout.trim()}${git('diff', '--quiet', 'HEAD', '--').status === 0 ? '' : '+dirty'}` : null;

const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Runtime dependencies stay imports of node_modules: the Dawn addon is native, and the others
  // (parser, plotting, progress bars, the job queue, the language server) are CommonJS or large, and load only when used.
  external: ['webgpu', 'chevrotain', 'vega', 'vega-lite', 'cli-progress', 'pngjs', 'bullmq', 'ioredis', 'ajv',
    'vscode-languageserver', 'vscode-languageserver-textdocument'],
  define: { GMN_VERSION: JSON.stringify(version), GMN_BUILD_COMMIT: JSON.stringify(commit) },
  logLevel: 'warning',
};

writeEmbeddedSources();
await Promise.all([
  build({ ...shared, entryPoints: ['runtime/cli/main.ts'], outfile: 'dist/gmn.mjs', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...shared, entryPoints: ['runtime/api/index.ts'], outfile: 'dist/index.mjs' }),
]);
