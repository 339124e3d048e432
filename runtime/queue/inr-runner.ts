// The submitter's runner of a queued INR-editing run: its jobs on the queue (queue-runner.ts), and
// the fits the training jobs read published in Redis for the run's duration (inr-fits.ts).
import type { Redis } from 'ioredis';
import type { InrEditingConfig } from '../tasks/inr-editing/config.js';
import { inrJobDescription, type InrEditingContext } from '../tasks/inr-editing/jobs.js';
import type { InrEditingRunner } from '../tasks/inr-editing/run.js';
import { QUEUE_PREFIX, type QueueEndpoint } from './connection.js';
import { fitsKeys, publishFits } from './inr-fits.js';
import type { TaskPayload } from './payload.js';
import { queueJobs } from './queue-runner.js';

export function inrQueueRunner(endpoint: QueueEndpoint, task: TaskPayload, config: InrEditingConfig): (ctx: InrEditingContext) => InrEditingRunner {
  return (ctx) => {
    const jobs = queueJobs(endpoint, task, inrJobDescription(config), ctx.progress);
    let client: Redis | null = null;
    const published: string[] = [];
    return {
      device: jobs.device,
      run: jobs.run,
      prepare: async () => {
        await jobs.prepare();
        const { Redis } = await import('ioredis');
        client = new Redis({ ...endpoint.redis, maxRetriesPerRequest: 3 });
        client.on('error', (e: Error) => ctx.progress.log(`warning: ${endpoint.redact(e.message)}`));
      },
      shareFits: async (key, fits) => {
        const keys = fitsKeys(QUEUE_PREFIX, endpoint.name, key);
        await publishFits(client!, keys, key, ctx.target, fits);
        published.push(...keys);
      },
      close: async () => {
        if (client !== null) {
          if (published.length > 0) await client.del(...published);
          await client.quit();
        }
        await jobs.close();
      },
    };
  };
}
