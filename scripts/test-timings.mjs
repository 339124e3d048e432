// Summarises a vitest JSON report (`npx vitest run --reporter=json --outputFile=FILE`) for
// docs/testing.md: wall time, the slowest tests against the one-third-of-timeout budget, and the time
// of each test folder. Usage: node scripts/test-timings.mjs FILE [--top N]
import { readFileSync } from 'node:fs';

const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node scripts/test-timings.mjs VITEST_JSON [--top N]\n');
  process.exit(2);
}
const top = rest[0] === '--top' ? Number(rest[1]) : 15;
const report = JSON.parse(readFileSync(file, 'utf8'));
const TIMEOUT_MS = 120_000;

const tests = report.testResults.flatMap((f) => f.assertionResults.map((a) => ({
  file: f.name.slice(f.name.indexOf('/tests/') + 1),
  title: a.title,
  status: a.status,
  ms: a.duration ?? 0,
})));
const files = report.testResults.map((f) => ({ file: f.name.slice(f.name.indexOf('/tests/') + 1), ms: f.endTime - f.startTime }));
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
lines.push('| slowest files (tests and hooks) | s |');
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
