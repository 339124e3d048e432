// Entry point of the `gmn` executable (bundled by scripts/build.mjs into dist/gmn.mjs).
// exitCode rather than process.exit(), so everything written to stdout is flushed first.
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2));
