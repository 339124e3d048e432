// A queued meta-training job's state in Redis (runtime/tasks/learned-optimizer/jobs.ts): the PES
// checkpoint as the local run writes it (φ, outer Adam's moments, the estimator's pairs and RNG, the
// meta-training curve so far, as exact JSON), under the same key and with the same lock-guarded save as a training job's
// (redis-store.ts), so a worker that takes the job over from a dead one resumes it bit-identically.
// φ itself goes back to the submitter in the job's outcome, which writes trained/.
import type { Redis } from 'ioredis';
import type { MetaTrainingStore } from '../tasks/learned-optimizer/jobs.js';
import { checkpointKey, saveIfLocked } from './redis-store.js';

export function redisMetaStore(
  client: Redis, keys: { prefix: string; queue: string; jobId: string }, token: string, stopping: () => boolean, log: (line: string) => void,
): MetaTrainingStore {
  const key = checkpointKey(keys.prefix, keys.queue, keys.jobId);
  return {
    trained: async () => null,
    async loadCheckpoint(parse) {
      const text = await client.get(key);
      if (text === null) return null;
      try {
        const state = parse(text);
        log(`resumed job ${keys.jobId} from its checkpoint after outer step ${state.trainer.outerStep}`);
        return state;
      } catch (e) {
        log(`warning: the checkpoint in Redis (${key}) is unusable (${e instanceof Error ? e.message : String(e)}); this meta-training restarts from scratch`);
        return null;
      }
    },
    saveCheckpoint: (text) => saveIfLocked(client, keys, token, text),
    done: async () => {},
    stopRequested: stopping,
  };
}
