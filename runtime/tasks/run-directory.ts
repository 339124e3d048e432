// A run directory holds everything a task run produces, and is what makes a run resumable:
//
//   config.json       the resolved task configuration and its hash
//   metrics.jsonl     one line per finished epoch (model, size, seed, epoch, losses)
//   results.jsonl     one line per finished (model, size, seed): its final figures
//   checkpoints/      the latest checkpoint of each unfinished training run
//   trained/          the final parameters of each finished training run (for `gmn verify --params`)
//   report.md, results.json, test_error.svg   written at the end (runtime/tasks/report.ts)
//
// Re-running the same command with the same configuration skips finished runs and resumes an
// unfinished one from its checkpoint. A different configuration in the same directory is refused
// rather than mixed into it.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './report.js';

export interface EpochMetrics {
  model: string;
  trainSize: number;
  seed: number;
  epoch: number;
  trainLoss: number;
  validationError: number;
  seconds: number;
}

export class ConfigMismatchError extends Error {}

export class RunDirectory {
  private readonly finished = new Map<string, RunResult>();

  private constructor(readonly dir: string) {}

  /** Opens (creating if needed) a run directory for `config`; refuses one made for another config. */
  static open(dir: string, config: unknown): RunDirectory {
    const text = JSON.stringify(config, null, 2);
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    const configFile = join(dir, 'config.json');
    if (existsSync(configFile)) {
      const previous = JSON.parse(readFileSync(configFile, 'utf8')) as { hash?: string };
      if (previous.hash !== hash) {
        throw new ConfigMismatchError(
          `${dir} holds a run of a different configuration (hash ${previous.hash ?? '?'}, now ${hash})`,
        );
      }
    } else {
      writeAtomic(configFile, JSON.stringify({ hash, config }, null, 2));
    }
    const run = new RunDirectory(dir);
    const resultsFile = join(dir, 'results.jsonl');
    if (existsSync(resultsFile)) {
      for (const line of readFileSync(resultsFile, 'utf8').split('\n')) {
        // A line cut short by an interruption is the only possible damage: skip it, the run redoes it.
        if (line.trim() === '') continue;
        try {
          const r = JSON.parse(line) as RunResult;
          run.finished.set(runKey(r.model, r.trainSize, r.seed), r);
        } catch {
          continue;
        }
      }
    }
    return run;
  }

  result(model: string, trainSize: number, seed: number): RunResult | undefined {
    return this.finished.get(runKey(model, trainSize, seed));
  }

  results(): RunResult[] {
    return [...this.finished.values()];
  }

  recordResult(result: RunResult): void {
    appendFileSync(join(this.dir, 'results.jsonl'), JSON.stringify(result) + '\n');
    this.finished.set(runKey(result.model, result.trainSize, result.seed), result);
    rmSync(this.checkpointPath(result.model, result.trainSize, result.seed), { recursive: true, force: true });
  }

  recordEpoch(metrics: EpochMetrics): void {
    appendFileSync(join(this.dir, 'metrics.jsonl'), JSON.stringify(metrics) + '\n');
  }

  checkpointPath(model: string, trainSize: number, seed: number): string {
    return join(this.dir, 'checkpoints', `${fileLabel(model)}-n${trainSize}-s${seed}.ckpt`);
  }

  /** Where a finished training run's final state is kept (a checkpoint folder, same name). */
  trainedPath(model: string, trainSize: number, seed: number): string {
    return join(this.dir, 'trained', `${fileLabel(model)}-n${trainSize}-s${seed}.ckpt`);
  }
}

/** A model label as it appears in file names (`gradmetanet#2` → `gradmetanet_2`). */
export function fileLabel(label: string): string {
  return label.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function runKey(model: string, trainSize: number, seed: number): string {
  return `${model}|${trainSize}|${seed}`;
}

/** Writes through a temporary file and a rename, so an interruption never leaves half a file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
