// A run directory holds everything a task run produces, and is what makes a run resumable:
//
//   run.lock          while a run writes the directory: its pid, host and start time (run-lock.ts)
//   config.json       the resolved task configuration and its hash
//   metrics.jsonl     one line per finished epoch (model, size, seed, epoch, losses)
//   results.jsonl     one line per finished (model, size, seed): its final figures
//   checkpoints/      the latest checkpoint of each unfinished training run
//   trained/          the final parameters of each finished training run (for `gmn verify --params`)
//   report.md, results.json, test_error.svg   written at the end (runtime/tasks/report.ts)
//
// Re-running the same command with the same configuration skips finished runs and resumes an
// unfinished one from its checkpoint. A different configuration in the same directory is refused
// rather than mixed into it, and so is a second run while the first still holds the lock.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './report.js';
import { acquireRunLock, type RunLock } from './run-lock.js';
import { RunStateError } from './run-state-error.js';
import { removeTrainingCheckpoint } from './training-checkpoint.js';

export interface EpochMetrics {
  model: string;
  trainSize: number;
  seed: number;
  epoch: number;
  trainLoss: number;
  validationError: number;
  seconds: number;
}

export class RunDirectory {
  private readonly finished = new Map<string, RunResult>();

  private constructor(readonly dir: string, private readonly lock: RunLock) {}

  /**
   * Opens (creating if needed) a run directory for `config` and takes its lock until `close()`;
   * refuses one made for another config or held by another run. `note` hears what was recovered.
   */
  static open(dir: string, config: unknown, note: (line: string) => void = () => {}): RunDirectory {
    mkdirSync(dir, { recursive: true });
    const lock = acquireRunLock(dir);
    if (lock.tookOverFrom !== null) {
      const h = lock.tookOverFrom;
      note(`note: took over the lock of ${dir} from pid ${h.pid} on ${h.host} (started ${h.started}), which is no longer running`);
    }
    try {
      checkConfig(dir, config);
      mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    } catch (e) {
      lock.release();
      throw e;
    }
    const run = new RunDirectory(dir, lock);
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

  /** Frees the directory for the next run. */
  close(): void {
    this.lock.release();
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
    removeTrainingCheckpoint(this.checkpointPath(result.model, result.trainSize, result.seed));
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

/** Writes config.json for a new directory; refuses a directory whose config.json is another configuration's or unreadable. */
function checkConfig(dir: string, config: unknown): void {
  // Source positions are not configuration: editing a comment in the .gmn file must not orphan a run.
  const hash = createHash('sha256').update(JSON.stringify(config, (key, value: unknown) => (key === 'span' ? undefined : value))).digest('hex').slice(0, 16);
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) {
    writeAtomic(configFile, JSON.stringify({ hash, config }, null, 2));
    return;
  }
  let previous: { hash?: unknown };
  try {
    previous = JSON.parse(readFileSync(configFile, 'utf8')) as { hash?: unknown };
  } catch (e) {
    // Without its config nothing says which configuration the results here belong to: never guess.
    throw new RunStateError(`${configFile} is damaged: ${e instanceof Error ? e.message : String(e)}`,
      `move ${dir} aside and run again to start over, or pass another --out DIR`);
  }
  if (previous.hash !== hash) {
    throw new RunStateError(
      `${dir} holds a run of a different configuration (hash ${typeof previous.hash === 'string' ? previous.hash : '?'}, now ${hash})`,
      'pass another --out DIR, or delete that directory to start over',
    );
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
