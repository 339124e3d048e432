// Every command reports a user's failure the same way (runtime/cli/failure.ts): diagnostics with
// the source line they point at, a fixable error as `gmn CMD: error: …` plus its hint, exit 1; a
// bug is not swallowed but goes on to runCli (exit 70).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiagnosticError, error } from '../../compiler/diagnostics/diagnostic.js';
import { EXIT } from '../../runtime/cli/command.js';
import { reportFailure } from '../../runtime/cli/failure.js';
import { runCli } from '../../runtime/cli/run-cli.js';
import { GpuRuntimeError } from '../../runtime/device/gpu-error.js';
import { QueueError } from '../../runtime/queue/queue-error.js';
import { DataError } from '../../runtime/targets/errors.js';
import { NoAdapterError } from '../../runtime/tasks/backend.js';
import { TransferError } from '../../runtime/tasks/learned-optimizer/use-optimizer.js';
import { RunLockedError } from '../../runtime/tasks/run-lock.js';
import { TrainedParamsError } from '../../runtime/verify/trained.js';

function stderrOf(body: () => number): { code: number; stderr: string } {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: body(), stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('reportFailure', () => {
  it.each([
    ['a data error', new DataError('data/not-finite', 'inputs of batch element 3 contain NaN', 'drop element 3')],
    ['a queue error', new QueueError('Redis refused the password', 'set GMN_REDIS_PASSWORD')],
    ['a trained-parameters error', new TrainedParamsError('run/x has no checkpoint.json', 'pass a checkpoint folder')],
  ])('%s: its message and hint under the command name, exit 1', (_what, e) => {
    const { code, stderr } = stderrOf(() => reportFailure(e, 'run'));
    expect(code).toBe(EXIT.diagnostics);
    expect(stderr).toBe(`gmn run: error: ${e.message}\n  hint: ${e.hint}\n`);
  });

  it('errors whose hint is fixed by their kind carry it themselves', () => {
    expect(stderrOf(() => reportFailure(new NoAdapterError('no WebGPU adapter found'), 'worker')).stderr).toContain('hint: or run with --backend reference');
    expect(stderrOf(() => reportFailure(new TransferError('φ has 10 entries'), 'optimize')).stderr).toContain('hint: --target takes an MLP');
    const locked = new RunLockedError('runs/x', { pid: 7, host: 'h', started: '2026-01-01T00:00:00Z' });
    expect(stderrOf(() => reportFailure(locked, 'run')).stderr).toMatch(/^gmn run: error: .*\n {2}hint: \S/);
  });

  it('diagnostics show the line of the file they point at', () => {
    const span = { file: 'a.gmn', start: { line: 2, column: 3, offset: 8 }, end: { line: 2, column: 6, offset: 11 } };
    const e = new DiagnosticError([error('resolve/unknown', 'unknown net `foo`', span, 'did you mean `for`?')]);
    const { code, stderr } = stderrOf(() => reportFailure(e, 'check', new Map([['a.gmn', 'net x\n  foo()\n']])));
    expect(code).toBe(EXIT.diagnostics);
    expect(stderr).toContain('a.gmn:2:3: error');
    expect(stderr).toContain('  foo()');
  });

  it('a device failure is reported plainly; a bug is rethrown, and runCli calls it internal (70)', async () => {
    expect(stderrOf(() => reportFailure(new GpuRuntimeError('device lost'), undefined)).stderr).toMatch(/^gmn: error: the WebGPU device failed: device lost\n {2}hint:/);
    const bug = new TypeError('x is undefined');
    expect(() => reportFailure(bug, 'run')).toThrow(bug);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['check', '--no-such-flag'])).toBe(EXIT.usage);
  });
});
