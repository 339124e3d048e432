// What a bench's JSON records besides its figures: the machine, the code, and the load average. On
// a shared CPU a throughput means little without the load it was measured under.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { packageRoot } from '../compiler/resolve/package-root.js';
import { gmnVersion } from '../runtime/cli/version.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_gib: number;
  os: string;
  node: string;
  gmn: string;
  /**
   * The commit the running bundle was built from (sources under vitest: the checkout's), `+dirty`
   * when its tracked files differed from it; null outside a git checkout.
   */
  commit: string | null;
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    gmn: gmnVersion(),
    commit: typeof GMN_BUILD_COMMIT === 'undefined' ? gitCommit() : GMN_BUILD_COMMIT,
  };
}

/** The 1-, 5- and 15-minute load averages, to two decimals. */
export function loadAverages(): [number, number, number] {
  const [one, five, fifteen] = loadavg().map((l) => Math.round(l * 100) / 100);
  return [one!, five!, fifteen!];
}

function gitCommit(): string | null {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: packageRoot(), encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return null;
  const dirty = git('diff', '--quiet', 'HEAD', '--').status !== 0;
  return `${head.stdout.trim()}${dirty ? '+dirty' : ''}`;
}
