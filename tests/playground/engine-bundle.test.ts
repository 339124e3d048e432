// The playground engine bundles for a browser: esbuild (platform browser, no externals) reaches no
// Node built-in from runtime/playground/engine.ts — checked in esbuild's metafile, where a built-in
// is let through as external only so that the test can name who imports it.
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Marks Node built-ins external (and so visible in the metafile) instead of failing the build at the first. */
const markBuiltins: Plugin = {
  name: 'mark-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (BUILTINS.has(args.path) || BUILTINS.has(args.path.split('/')[0]!) ? { path: args.path, external: true } : undefined));
  },
};

it('reaches no Node built-in from the engine', async () => {
  const result = await build({
    entryPoints: [resolve(ROOT, 'runtime/playground/engine.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    outfile: 'engine.js',
    absWorkingDir: ROOT,
    plugins: [markBuiltins],
    define: { GMN_VERSION: '"test"', GMN_BUILD_COMMIT: 'null' },
    logLevel: 'silent',
  });
  const reached = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.external).map((i) => `${file} imports ${i.path}`));
  expect(reached).toEqual([]);
  const bytes = result.outputFiles[0]!.contents.length;
  console.log(`engine bundle (minified, browser): ${(bytes / 1024).toFixed(1)} KiB`);
  // A sanity bound: the compiler and runtime without Node, vega or the CLI.
  expect(bytes).toBeLessThan(2_000_000);
}, 60_000);
