// What a worker returns for a finished training job (BullMQ keeps it as the job's return value): its
// results (a curvature run's, or an INR editor's with its own fields), the metrics of every epoch,
// and the trained parameters, so the submitter writes the same run directory a local run would. The submitter checks the shape and that the results are exactly the
// job's (model, size, seed) before it records anything.
import type { Ajv, ValidateFunction } from 'ajv';
import type { CurvatureJob, JobOutcome } from '../tasks/curvature.js';
import type { RunResult } from '../tasks/report.js';
import type { EpochMetrics } from '../tasks/run-directory.js';
import type { Checkpoint } from '../train/checkpoint.js';
import { decodeCheckpoint, decodeNumber, encodeCheckpoint, encodeNumber, type EncodedCheckpoint } from './state-codec.js';

const FORMAT = 'gmn-job-outcome';

type EncodedResult = Omit<RunResult, 'testError' | 'validationError'> & { testError: number | string; validationError: number | string };

interface EncodedOutcome {
  format: typeof FORMAT;
  results: EncodedResult[];
  epochs: EpochMetrics[];
  trained: EncodedCheckpoint | null;
}

const NUMBER = { type: ['number', 'string'] };
const FLOATS = { type: 'array', items: { type: 'string' } };
const SCHEMA = {
  type: 'object',
  required: ['format', 'results', 'epochs', 'trained'],
  properties: {
    format: { const: FORMAT },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['model', 'net', 'trainSize', 'seed', 'testError', 'validationError', 'bestEpoch', 'params', 'seconds'],
        properties: {
          model: { type: 'string' }, net: { type: 'string' }, trainSize: { type: 'integer' }, seed: { type: 'integer' },
          testError: NUMBER, validationError: NUMBER, bestEpoch: { type: 'integer' }, params: { type: 'integer' },
          seconds: { type: 'number' }, device: { type: 'string' },
        },
      },
    },
    epochs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['model', 'trainSize', 'seed', 'epoch', 'trainLoss', 'validationError', 'seconds'],
        properties: {
          model: { type: 'string' }, trainSize: { type: 'integer' }, seed: { type: 'integer' }, epoch: { type: 'integer' },
          trainLoss: { type: 'number' }, validationError: { type: 'number' }, seconds: { type: 'number' },
        },
      },
    },
    trained: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['state', 'rng', 'batchSize'],
          properties: {
            batchSize: { type: 'integer' },
            rng: { type: 'object', required: ['s', 'spareNormal'] },
            state: {
              type: 'object',
              required: ['step', 'params', 'slots'],
              properties: {
                step: { type: 'integer' },
                params: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string' } } },
                slots: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'string' }, FLOATS] } },
              },
            },
          },
        },
      ],
    },
  },
} as const;

let compiled: { ajv: Ajv; validate: ValidateFunction<EncodedOutcome> } | null = null;

export function encodeOutcome(results: readonly RunResult[], epochs: readonly EpochMetrics[], trained: Checkpoint | null): EncodedOutcome {
  return {
    format: FORMAT,
    results: results.map((r) => ({ ...r, testError: encodeNumber(r.testError), validationError: encodeNumber(r.validationError) })),
    epochs: [...epochs],
    trained: trained === null ? null : encodeCheckpoint(trained),
  };
}

/**
 * The outcome of `job` from a worker's return value; throws an Error saying what is wrong when it
 * is malformed or holds other results than `expected` (the job's own keys).
 */
export async function decodeOutcome<J = CurvatureJob>(job: J, value: unknown, expected: readonly { model: string; trainSize: number; seed: number }[]): Promise<Omit<JobOutcome, 'job'> & { job: J }> {
  if (compiled === null) {
    const { Ajv } = await import('ajv');
    const ajv = new Ajv({ allowUnionTypes: true });
    compiled = { ajv, validate: ajv.compile<EncodedOutcome>(SCHEMA) };
  }
  const { ajv, validate } = compiled;
  if (!validate(value)) throw new Error(`malformed job outcome: ${ajv.errorsText(validate.errors, { dataVar: 'outcome' })}`);
  const key = (r: { model: string; trainSize: number; seed: number }): string => `${r.model}|${r.trainSize}|${r.seed}`;
  const got = value.results.map(key).sort();
  const want = expected.map(key).sort();
  if (got.join('\n') !== want.join('\n')) throw new Error(`the outcome holds results for ${got.join(', ') || 'nothing'}, not for ${want.join(', ')}`);
  return {
    job,
    results: value.results.map((r) => ({ ...r, testError: decodeNumber(r.testError), validationError: decodeNumber(r.validationError) })),
    epochs: value.epochs,
    trained: value.trained === null ? null : decodeCheckpoint(value.trained),
  };
}
