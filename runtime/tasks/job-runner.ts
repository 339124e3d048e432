// How a task's independent jobs get run: one after another in this process (each task's local
// runner), or on the workers of a job queue (runtime/queue/queue-runner.ts). A task describes its
// jobs and what a finished one yields; the runner only carries them, so both ways give the same
// outcomes and the task records them the same way.

/** Carries out a task's jobs `J`, each yielding an outcome `O`. */
export interface Runner<J, O> {
  /** What the report names as the device. */
  readonly device: string;
  /** Work before the progress bar starts (loading the data, connecting). */
  prepare(): Promise<void>;
  /**
   * Runs every job, delivering each outcome as it finishes, in any order; rejects on the first
   * failure. `finished` are the task's jobs already recorded in the run directory.
   */
  run(jobs: readonly J[], finished: readonly J[], deliver: (outcome: O) => void): Promise<void>;
  close(): Promise<void>;
}

/** What a job queue needs to know about a task's jobs besides their payloads. */
export interface JobDescription<J, O> {
  /** A job as progress lines and messages name it. */
  name(job: J): string;
  /** Progress units of a job (epochs, outer steps, or one). */
  units(job: J): number;
  /** A job's relative cost: the queue hands out the costliest first (the order changes no result). */
  cost(job: J): number;
  /** The outcome of `job` from a worker's return value; throws saying what is wrong when it is malformed. */
  decode(job: J, value: unknown): Promise<O>;
  /** Where the outcome was computed, for the progress line. */
  device(outcome: O): string;
}
