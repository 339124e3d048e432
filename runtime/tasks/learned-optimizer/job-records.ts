// The run directory of a learned-optimization run, job by job: a meta-training job's checkpoints
// (checkpoints/<base>-<optimizer>.json, two generations) and its φ (trained/<base>-<optimizer>.json),
// and every finished job's outcome (outcomes/<job>.json), so that running the same command again —
// locally or through a queue — redoes only the jobs not recorded, and records each one once.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../run-directory.js';
import { loadStateFile, removeStateFile, saveStateFile } from '../state-file.js';
import { decodeOutcome, encodeOutcome, jobFileName, phiOf, trainedText, type LearnedOptimizerJob, type LearnedOptimizerOutcome, type MetaTrainingStore } from './jobs.js';

export class JobRecords {
  constructor(private readonly outDir: string, private readonly warn: (line: string) => void) {
    for (const sub of ['trained', 'checkpoints', 'outcomes']) mkdirSync(join(outDir, sub), { recursive: true });
  }

  /** A local job's store: its checkpoints and φ in the run directory; `shouldStop` is asked after every checkpoint. */
  store(job: LearnedOptimizerJob, shouldStop?: () => boolean): MetaTrainingStore {
    const checkpoint = this.checkpointPath(job);
    const trained = this.trainedPath(job);
    return {
      trained: async (parse) => loadStateFile(trained, 'meta-trained optimizer', parse, this.warn),
      loadCheckpoint: async (parse) => loadStateFile(checkpoint, 'meta-training checkpoint', parse, this.warn),
      saveCheckpoint: async (text) => saveStateFile(checkpoint, text),
      done: async (text) => {
        writeAtomic(trained, text);
        removeStateFile(checkpoint);
      },
      stopRequested: () => shouldStop?.() === true,
    };
  }

  /**
   * The recorded outcome of `job`, or undefined when it must run (again). A meta-training job also
   * needs a sound trained/ file: a damaged one is named and the job redone.
   */
  recorded(job: LearnedOptimizerJob, metaSize: number): LearnedOptimizerOutcome | undefined {
    const path = this.outcomePath(job);
    if (!existsSync(path)) return undefined;
    let outcome: LearnedOptimizerOutcome;
    try {
      outcome = decodeOutcome(job, JSON.parse(readFileSync(path, 'utf8')));
    } catch (e) {
      this.warn(`warning: the recorded outcome ${path} is damaged (${e instanceof Error ? e.message : String(e)}); the job runs again`);
      return undefined;
    }
    if (job.kind === 'meta-train' && loadStateFile(this.trainedPath(job), 'meta-trained optimizer', (text) => phiOf(text, metaSize), this.warn) === null) return undefined;
    return outcome;
  }

  /** Writes a finished job's outcome (and, for meta-training done elsewhere, its φ) once. */
  record(outcome: LearnedOptimizerOutcome): void {
    const { job } = outcome;
    if ('phi' in outcome && job.kind === 'meta-train' && !existsSync(this.trainedPath(job))) {
      writeAtomic(this.trainedPath(job), trainedText(job.base, job.optimizer, outcome.phi, outcome.metaCurve));
      removeStateFile(this.checkpointPath(job));
    }
    writeAtomic(this.outcomePath(outcome.job), JSON.stringify(encodeOutcome(outcome)));
  }

  private trainedPath(job: LearnedOptimizerJob): string {
    return join(this.outDir, 'trained', `${jobFileName(job)}.json`);
  }

  private checkpointPath(job: LearnedOptimizerJob): string {
    return join(this.outDir, 'checkpoints', `${jobFileName(job)}.json`);
  }

  private outcomePath(job: LearnedOptimizerJob): string {
    return join(this.outDir, 'outcomes', `${jobFileName(job)}.json`);
  }
}
