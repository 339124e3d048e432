// What one queued job carries, and nothing more: the task file's text (with a display name for
// messages, never opened as a path), the task and preset names, and the job's identifiers (for a
// curvature job: model label, training size, seed; for a learned-optimization job: base task and
// optimizer, or base task and Adam learning rate; for an INR-editing job: the image collection and
// the first INR of a fitting batch, or edit, model, learning rate and seed). A worker checks every payload against this schema and a size limit
// before it looks at anything in it; a payload that fails is rejected with the reason, once.
import { createHash } from 'node:crypto';
import type { Ajv, ValidateFunction } from 'ajv';
import { fileLabel } from '../tasks/run-directory.js';
import type { CurvatureJob } from '../tasks/curvature.js';
import type { InrEditingJob } from '../tasks/inr-editing/jobs.js';
import type { LearnedOptimizerJob } from '../tasks/learned-optimizer/jobs.js';

export const PAYLOAD_FORMAT = 'gmn-job';
export const PAYLOAD_VERSION = 1;
/** The most bytes of JSON a payload may take: far above any task file, far below a worker's memory. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** The most characters of task-file text a payload may carry (the rest of the limit is identifiers). */
export const MAX_SOURCE_CHARS = 240 * 1024;

export interface TaskPayload {
  /** The file's base name, for diagnostics only. */
  file: string;
  source: string;
  task: string;
  preset: string;
}

/** A job of any task that runs on the queue (the kinds are distinct across tasks). */
export type QueuedJob = CurvatureJob | LearnedOptimizerJob | InrEditingJob;

export interface JobPayload {
  format: typeof PAYLOAD_FORMAT;
  version: typeof PAYLOAD_VERSION;
  task: TaskPayload;
  job: QueuedJob;
}

const NAME = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** A base task's or an optimizer's label: `FashionMlp/fashion_mnist`, `ds_gradmetanet(hidden: 8, width: 8)`. */
const LABEL = '^[A-Za-z_][A-Za-z0-9_ ,:()./=+#-]{0,199}$';
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'version', 'task', 'job'],
  properties: {
    format: { const: PAYLOAD_FORMAT },
    version: { const: PAYLOAD_VERSION },
    task: {
      type: 'object',
      additionalProperties: false,
      required: ['file', 'source', 'task', 'preset'],
      properties: {
        file: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.gmn$' },
        source: { type: 'string', maxLength: MAX_SOURCE_CHARS },
        task: { type: 'string', pattern: NAME },
        preset: { type: 'string', pattern: NAME },
      },
    },
    job: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'model', 'trainSize', 'seed'],
          properties: {
            kind: { const: 'train' },
            model: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_#+]{0,127}$' },
            trainSize: { type: 'integer', minimum: 1, maximum: 100_000_000 },
            seed: { type: 'integer', minimum: 0, maximum: 4_294_967_295 },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'model'],
          properties: {
            kind: { const: 'evaluate' },
            model: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_#+]{0,127}$' },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'base', 'optimizer'],
          properties: {
            kind: { const: 'meta-train' },
            base: { type: 'string', pattern: LABEL },
            optimizer: { type: 'string', pattern: LABEL },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'base', 'lr'],
          properties: {
            kind: { const: 'adam' },
            base: { type: 'string', pattern: LABEL },
            lr: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'images', 'start'],
          properties: {
            kind: { const: 'inr-fit' },
            images: { enum: ['mnist', 'fashion-mnist'] },
            start: { type: 'integer', minimum: 0, maximum: 100_000_000 },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'edit', 'model', 'lr', 'seed'],
          properties: {
            kind: { const: 'inr-train' },
            edit: { type: 'string', pattern: LABEL },
            model: { type: 'string', pattern: LABEL },
            lr: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
            seed: { type: 'integer', minimum: 0, maximum: 4_294_967_295 },
          },
        },
      ],
    },
  },
} as const;

let compiled: { ajv: Ajv; validate: ValidateFunction<JobPayload> } | null = null;

/** The payload, or why it is rejected (size first: an oversized payload is not inspected further). */
export async function checkPayload(data: unknown): Promise<{ ok: true; payload: JobPayload } | { ok: false; reason: string }> {
  const bytes = Buffer.byteLength(JSON.stringify(data) ?? '');
  if (bytes > MAX_PAYLOAD_BYTES) return { ok: false, reason: `the payload has ${bytes} bytes, over the limit of ${MAX_PAYLOAD_BYTES}` };
  if (compiled === null) {
    const { Ajv } = await import('ajv');
    const ajv = new Ajv();
    compiled = { ajv, validate: ajv.compile<JobPayload>(SCHEMA) };
  }
  const { ajv, validate } = compiled;
  if (!validate(data)) return { ok: false, reason: `malformed payload: ${ajv.errorsText(validate.errors, { dataVar: 'payload' })}` };
  return { ok: true, payload: data };
}

export function jobPayload(task: TaskPayload, job: QueuedJob): JobPayload {
  return { format: PAYLOAD_FORMAT, version: PAYLOAD_VERSION, task, job };
}

/**
 * The BullMQ id of a job: the task's content hash and the job's identifiers. The same task text,
 * preset and job always give the same id, which is what lets a restarted submitter find its jobs
 * (and BullMQ refuse to queue one twice).
 */
export function jobId(task: TaskPayload, job: QueuedJob): string {
  const hash = taskHash(task);
  switch (job.kind) {
    case 'train': return `${hash}-${fileLabel(job.model)}-n${job.trainSize}-s${job.seed}`;
    case 'evaluate': return `${hash}-${fileLabel(job.model)}-eval`;
    case 'meta-train': return `${hash}-meta-${fileLabel(job.base)}-${fileLabel(job.optimizer)}`;
    case 'adam': return `${hash}-adam-${fileLabel(job.base)}-lr${fileLabel(String(job.lr))}`;
    case 'inr-fit': return `${hash}-fit-${job.images}-${job.start}`;
    case 'inr-train': return `${hash}-edit-${fileLabel(job.edit)}-${fileLabel(job.model)}-lr${fileLabel(String(job.lr))}-s${job.seed}`;
  }
}

/** The content hash of a task: its file name, text, task and preset. */
export function taskHash(task: TaskPayload): string {
  return createHash('sha256').update(JSON.stringify([task.file, task.source, task.task, task.preset])).digest('hex').slice(0, 16);
}
