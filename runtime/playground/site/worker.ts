/// <reference lib="dom" />
// The playground's worker: the compiler and runtime (../engine.ts) off the page's main thread, so
// that typing stays smooth while a text is checked or a preset trains on the page's WebGPU.
// Answers the requests of protocol.ts one by one; a run reports progress and stops on `stop`.
import { analyse, examples, explain, irDump, kernels, runPreset } from '../engine.js';
import type { FromWorker, GpuProbe, Replies, Request, ToWorker } from './protocol.js';

/** The worker global scope, as much of it as this file uses (the DOM lib types `self` as a window). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;

const runs = new Map<number, AbortController>();

scope.addEventListener('message', (e) => {
  const message = e.data;
  if ('stop' in message) {
    runs.get(message.stop)?.abort();
    return;
  }
  const { id, request } = message;
  const started = performance.now();
  answer(id, request).then(
    (value) => scope.postMessage({ id, ok: true, value, ms: performance.now() - started }),
    (error: unknown) => scope.postMessage({ id, ok: false, message: errorText(error) }),
  );
});

async function answer(id: number, request: Request): Promise<Replies[keyof Replies]> {
  switch (request.kind) {
    case 'analyse': return analyse(request.source, request.fileName);
    case 'explain': return explain(request.source);
    case 'ir': return irDump(request.source);
    case 'kernels': return kernels(request.source);
    case 'examples': return examples();
    case 'gpu': return probeGpu();
    case 'run': return run(id, request.source, request.preset);
  }
}

async function run(id: number, source: string, preset: string): Promise<Replies['run']> {
  const probe = await probeGpu();
  if (!probe.ok) throw new Error(probe.reason);
  const controller = new AbortController();
  runs.set(id, controller);
  try {
    return await runPreset(source, preset, navigator.gpu, {
      onProgress: (progress) => scope.postMessage({ id, progress }),
      signal: controller.signal,
    });
  } finally {
    runs.delete(id);
  }
}

/** Whether this browser gives WebGPU an adapter, and which. */
async function probeGpu(): Promise<GpuProbe> {
  if (!('gpu' in navigator) || navigator.gpu === undefined) {
    return { ok: false, reason: 'This browser has no WebGPU (navigator.gpu is missing): training needs Chrome or Edge 113+, Safari 26+, or Firefox 141+ on Windows; on Linux Chrome, start it with --enable-unsafe-webgpu. Checking, the certificate, the IR and the kernels work without it.' };
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (adapter === null) {
    return { ok: false, reason: 'WebGPU is present but gives no adapter (it may be disabled, or the GPU blocklisted): see chrome://gpu. Checking, the certificate, the IR and the kernels work without it.' };
  }
  const { vendor, architecture, description } = adapter.info;
  return { ok: true, adapter: [vendor, architecture, description].filter((s) => s !== '').join(' ') || 'unnamed adapter' };
}

function errorText(error: unknown): string {
  if ((error instanceof Error || error instanceof DOMException) && error.name === 'AbortError') return 'stopped';
  return error instanceof Error ? error.message : String(error);
}
