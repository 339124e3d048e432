// Builds the browser playground (docs/playground.md) into dist/playground/: index.html and
// style.css copied from runtime/playground/site/, main.js (the page) and worker.js (the compiler
// and runtime, off the main thread) bundled by esbuild for the browser from the same sources as the
// CLI. A Node built-in reaching either bundle fails the build, naming the module that imports it.
// std/ and the examples are embedded as they are on disk at build time (embedded-sources.ts written anew).
// `node scripts/build-playground.mjs` (npm run build:playground) or, imported, buildPlayground().
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeEmbeddedSources } from './embed-playground-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(root, 'runtime/playground/site');
const STATIC_FILES = ['index.html', 'style.css'];
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Fails every import of a Node built-in, saying which file asked for it. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!nodeBuiltins.has(args.path) && !nodeBuiltins.has(args.path.split('/')[0])) return undefined;
      return { errors: [{ text: `the Node built-in "${args.path}" reached the browser bundle (imported by ${relative(root, args.importer)}); the playground must stay browser-safe` }] };
    });
  },
};

/** Builds the site into `outdir`; returns each output file's size in bytes. */
export async function buildPlayground({ outdir = join(root, 'dist/playground') } = {}) {
  await mkdir(outdir, { recursive: true });
  writeEmbeddedSources();
  await build({
    entryPoints: { main: join(site, 'main.ts'), worker: join(site, 'worker.ts') },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    plugins: [noNodeBuiltins],
    // The engine's sources share the CLI's globals (runtime/cli/globals.d.ts); no commit: a
    // published site is not a checkout.
    define: { GMN_VERSION: JSON.stringify(version), GMN_BUILD_COMMIT: 'null' },
    logLevel: 'warning',
  });
  await Promise.all(STATIC_FILES.map((f) => copyFile(join(site, f), join(outdir, f))));
  const files = [...STATIC_FILES, 'main.js', 'worker.js'];
  const sizes = Object.fromEntries(await Promise.all(files.map(async (f) => [f, (await stat(join(outdir, f))).size])));
  return { outdir, sizes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { outdir, sizes } = await buildPlayground();
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`playground built in ${relative(process.cwd(), outdir) || '.'}: ${Object.entries(sizes).map(([f, n]) => `${f} ${kib(n)}`).join(', ')}`);
  } catch (e) {
    // esbuild has printed its errors with locations already.
    if (!(e instanceof Error && 'errors' in e)) console.error(e);
    process.exitCode = 1;
  }
}
