// The page's side of protocol.ts: each request to the worker as a promise, its progress as a
// callback, and a way to stop a run.
import type { PlaygroundProgress } from '../engine.js';
import type { FromWorker, Replies, Request, ToWorker } from './protocol.js';

interface Pending {
  resolve(value: Replies[keyof Replies], ms: number): void;
  reject(error: Error): void;
  onProgress?: (p: PlaygroundProgress) => void;
}

export interface Answer<K extends keyof Replies> {
  value: Replies[K];
  /** How long the worker took, in milliseconds. */
  ms: number;
}

export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(url: URL) {
    this.worker = new Worker(url, { type: 'module' });
    this.worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.receive(e.data));
    this.worker.addEventListener('error', (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`the playground worker failed: ${e.message}`));
      this.pending.clear();
    });
  }

  /** Sends `request`; `started` receives its id (to stop a run) before the answer comes. */
  call<K extends Request['kind']>(
    request: Extract<Request, { kind: K }>,
    options: { onProgress?: (p: PlaygroundProgress) => void; started?: (id: number) => void } = {},
  ): Promise<Answer<K>> {
    const id = this.nextId++;
    options.started?.(id);
    return new Promise<Answer<K>>((resolve, reject) => {
      this.pending.set(id, {
        // The worker answers a request of kind K with Replies[K] (worker.ts `answer`).
        resolve: (value, ms) => resolve({ value: value as Replies[K], ms }),
        reject,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      const message: ToWorker = { id, request };
      this.worker.postMessage(message);
    });
  }

  stop(id: number): void {
    const message: ToWorker = { stop: id };
    this.worker.postMessage(message);
  }

  private receive(message: FromWorker): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    if ('progress' in message) {
      pending.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value, message.ms);
    else pending.reject(new Error(message.message));
  }
}
