// A queued training job's state, kept in Redis next to the job itself (key `<prefix>:<queue>:<id>:
// gmn-checkpoint`): the latest checkpoint and the metrics of every epoch so far, as one JSON value
// (with, for an INR editor's training, the best parameters so far, saved with the next checkpoint).
// Redis is the one thing every worker shares, so whichever worker takes a job over after another
// died resumes it from there; no shared file system is needed, and a worker writes no file for it.
//
// Each save is one atomic script that writes only while the saving worker still holds the job's
// BullMQ lock: a worker that lost its job (stalled, and handed to another) can never overwrite the
// new holder's checkpoint; it learns so and stops.
import type { Redis } from 'ioredis';
import type { Checkpoint } from '../train/checkpoint.js';
import type { TrainState } from '../train/executor.js';
import type { EditorStore } from '../tasks/inr-editing/editor-store.js';
import type { EpochMetrics } from '../tasks/run-directory.js';
import type { TrainingCheckpoint } from '../tasks/training-checkpoint.js';
import { decodeCheckpoint, decodeTrainingCheckpoint, encodeCheckpoint, encodeTrainingCheckpoint, type EncodedCheckpoint, type EncodedTrainingCheckpoint } from './state-codec.js';

const SAVE_IF_LOCKED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end return 0`;

interface Stored {
  checkpoint: EncodedTrainingCheckpoint;
  epochs: EpochMetrics[];
  best?: EncodedCheckpoint;
}

/** The job's lock moved to another worker: this one must drop the job. */
export class JobLostError extends Error {}

export interface RedisJobStore extends EditorStore {
  /** Every epoch's metrics, including those run before a takeover. */
  readonly epochs: EpochMetrics[];
  /** The final state, once the job has trained. */
  readonly final: Checkpoint | null;
}

export function checkpointKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:${jobId}:gmn-checkpoint`;
}

/** Writes a job's checkpoint `value` if `token` still holds the job's lock; throws JobLostError otherwise. */
export async function saveIfLocked(client: Redis, keys: { prefix: string; queue: string; jobId: string }, token: string, value: string): Promise<void> {
  const key = checkpointKey(keys.prefix, keys.queue, keys.jobId);
  const lockKey = `${keys.prefix}:${keys.queue}:${keys.jobId}:lock`;
  const saved = await client.eval(SAVE_IF_LOCKED, 2, lockKey, key, token, value);
  if (saved !== 1) throw new JobLostError(`job ${keys.jobId} was handed to another worker (its lock expired); dropping it`);
}

/**
 * The store of job `jobId` held by this worker with lock `token`. `stopping` says the worker is
 * shutting down; `log` hears a resumption and every fallback.
 */
export function redisJobStore(
  client: Redis, keys: { prefix: string; queue: string; jobId: string }, token: string, stopping: () => boolean, log: (line: string) => void,
): RedisJobStore {
  const key = checkpointKey(keys.prefix, keys.queue, keys.jobId);
  const epochs: EpochMetrics[] = [];
  let final: Checkpoint | null = null;
  let best: EncodedCheckpoint | undefined;
  return {
    epochs,
    get final() {
      return final;
    },
    async loadCheckpoint(initial, warn) {
      const text = await client.get(key);
      if (text === null) return null;
      let stored: Stored;
      let checkpoint: TrainingCheckpoint;
      try {
        stored = JSON.parse(text) as Stored;
        checkpoint = decodeTrainingCheckpoint(stored.checkpoint);
      } catch (e) {
        warn(`warning: the checkpoint in Redis (${key}) is unreadable (${e instanceof Error ? e.message : String(e)}); this training run restarts from scratch`);
        return null;
      }
      const misfit = misfitOf(checkpoint.state, initial);
      if (misfit !== null) {
        warn(`warning: the checkpoint in Redis (${key}) does not fit the model (${misfit}); this training run restarts from scratch`);
        return null;
      }
      epochs.push(...stored.epochs.filter((m) => m.epoch <= checkpoint.epoch));
      best = stored.best;
      log(`resumed job ${keys.jobId} from its checkpoint after epoch ${checkpoint.epoch}`);
      return checkpoint;
    },
    async epochDone(metrics, checkpoint) {
      epochs.push(metrics);
      await saveIfLocked(client, keys, token, JSON.stringify({ checkpoint: encodeTrainingCheckpoint(checkpoint), epochs, ...(best === undefined ? {} : { best }) } satisfies Stored));
    },
    async trained(checkpoint) {
      final = checkpoint;
    },
    loadBest: async () => (best === undefined ? null : decodeCheckpoint(best).state),
    async saveBest(checkpoint) {
      best = encodeCheckpoint(checkpoint);
    },
    stopRequested: stopping,
  };
}

/** Why a checkpoint's arrays are not the model's (names and sizes), or null when they are. */
function misfitOf(got: TrainState, want: TrainState): string | null {
  const describe = (s: TrainState): string[] => [
    ...[...s.params].map(([name, p]) => `param ${name}:${p.length}`),
    ...[...s.optimizer.slots].flatMap(([name, slots]) => slots.map((slot, i) => `slot ${name}#${i}:${slot.length}`)),
  ].sort();
  const have = describe(got).join(',');
  const need = describe(want);
  const missing = need.find((d) => !have.split(',').includes(d));
  return have === need.join(',') ? null : missing === undefined ? 'arrays the model does not have' : `no ${missing}`;
}
