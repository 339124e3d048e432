// Summarises a vitest run for docs/testing.md: wall time, the slowest tests against the
// one-third-of-timeout budget, the slowest files and the time of each test folder. Usage:
//   node scripts/test-timings.mjs REPORT.json [LOG] [--top N]
// REPORT.json from `--reporter=json --outputFile=…`; LOG, the default reporter's output, gives file
// times that include hooks (a `beforeAll` that runs a whole task), which the JSON report leaves out.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt === -1 ? 15 : Number(args[topAt + 1]);
const [file, log] = topAt === -1 ? args : args.slice(0, topAt);
if (file === undefined) {
  process.stderr.write('usage: node scripts/test-timings.mjs VITEST_JSON [VITEST_LOG] [--top N]\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const TIMEOUT_MS = 120_000;

const tests = report.testResults.flatMap((f) => f.assertionResults.map((a) => ({
  file: f.name.slice(f.name.indexOf('/tests/') + 1),
  title: a.title,
  status: a.status,
  ms: a.duration ?? 0,
})));
// ` ✓ tests/x.test.ts (3 tests) 71368ms` in the default reporter's output: the whole file, hooks included.
const fromLog = log === undefined ? null : new Map([...readFileSync(log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').matchAll(/^ [✓×❯] (tests\/\S+) \(.*?\) (\d+)ms$/gm)].map((m) => [m[1], Number(m[2])]));
const files = report.testResults.map((f) => {
  const name = f.name.slice(f.name.indexOf('/tests/') + 1);
  return { file: name, ms: fromLog?.get(name) ?? f.endTime - f.startTime };
});
const start = Math.min(...report.testResults.map((f) => f.startTime));
const end = Math.max(...report.testResults.map((f) => f.endTime));

const lines = [];
lines.push(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped in ${report.testResults.length} files; tests ran ${((end - start) / 1000).toFixed(0)} s wall`);
lines.push('');
lines.push(`| slowest tests | s | share of the ${TIMEOUT_MS / 1000} s timeout |`);
lines.push('| --- | ---: | ---: |');
for (const t of [...tests].sort((a, b) => b.ms - a.ms).slice(0, top)) {
  lines.push(`| ${t.file} › ${t.title.replace(/\|/g, '\\|')}${t.status === 'passed' ? '' : ` (${t.status})`} | ${(t.ms / 1000).toFixed(1)} | ${((100 * t.ms) / TIMEOUT_MS).toFixed(0)}% |`);
}
lines.push('');
lines.push(`| slowest files${fromLog === null ? ' (without hooks: pass the log)' : ' (tests and hooks)'} | s |`);
lines.push('| --- | ---: |');
for (const f of [...files].sort((a, b) => b.ms - a.ms).slice(0, 5)) lines.push(`| ${f.file} | ${(f.ms / 1000).toFixed(1)} |`);
lines.push('');
const byFolder = new Map();
for (const f of files) {
  const folder = f.file.split('/').slice(0, 2).join('/');
  byFolder.set(folder, (byFolder.get(folder) ?? 0) + f.ms);
}
lines.push('| folder | s (sum of its files) |');
lines.push('| --- | ---: |');
for (const [folder, ms] of [...byFolder].sort((a, b) => b[1] - a[1])) lines.push(`| ${folder} | ${(ms / 1000).toFixed(1)} |`);
process.stdout.write(`${lines.join('\n')}\n`);
