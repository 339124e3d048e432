// The INR-editing protocol as independent jobs (the same mechanism as the curvature sweep:
// runtime/tasks/job-runner.ts), so a local run and the workers of a job queue run the same code:
//   inr-fit    one dispatch of the dataset's fitting: `fit_batch` INRs of one image collection,
//              starting at INR `start` (the numbers are those of the whole fit: runtime/inr/fit.ts)
//   inr-train  one editor training run: an edit, a model, a learning rate and a seed (train.ts),
//              its checkpoints and best parameters in the job's EditorStore
// The fits come first: once a collection's batches are in, they are assembled into the
// content-addressed cache (runtime/inr/cache.ts) and every edit's dataset is built from it; the
// training runs follow, then the report (run.ts).
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { GpuDevice } from '../../device/index.js';
import { fitInrBatch, pixelGrid, type FittedInrs } from '../../inr/fit.js';
import { IMAGE_SIDE, loadImages, type ImageSource } from '../../inr/images.js';
import { decodeOutcome, encodeOutcome } from '../../queue/outcome.js';
import type { Checkpoint } from '../../train/checkpoint.js';
import type { ExecutorFactory } from '../../train/executor.js';
import { Rng } from '../../util/rng.js';
import type { JobDescription } from '../job-runner.js';
import type { Progress } from '../progress.js';
import type { EpochMetrics } from '../run-directory.js';
import type { InrEditingConfig } from './config.js';
import { fitOptions, splitsOf, type EditDataset } from './data.js';
import type { EditorStore } from './editor-store.js';
import { runLabel, trainEditor, type EditorModel, type EditRunResult } from './train.js';

export type InrFitJob = { kind: 'inr-fit'; images: ImageSource; start: number };
export type InrTrainJob = { kind: 'inr-train'; edit: string; model: string; lr: number; seed: number };
export type InrEditingJob = InrFitJob | InrTrainJob;

export type InrEditingOutcome =
  | { job: InrFitJob; fits: FittedInrs; device: string }
  | { job: InrTrainJob; result: EditRunResult; epochs: EpochMetrics[]; trained: Checkpoint | null; device: string };

/** What every job of a task reads; the datasets are built once the fits are in (run.ts, or a worker). */
export interface InrEditingContext {
  config: InrEditingConfig;
  target: TargetLayout;
  models: readonly EditorModel[];
  gpu: GpuDevice;
  executor: ExecutorFactory;
  device: string;
  progress: Progress;
  /** Each edit's dataset, by its label. */
  datasets: Map<string, EditDataset>;
}

/** The image collections the task's edits are learned on, each fitted once (in the edits' order). */
export function fitCollections(config: InrEditingConfig): ImageSource[] {
  return [...new Set(config.edits.map((e) => e.images))];
}

/** The fitting jobs of one collection, in INR order. */
export function inrFitJobs(config: InrEditingConfig, images: ImageSource): InrFitJob[] {
  const { count, fitBatch } = config.data;
  return Array.from({ length: Math.ceil(count / fitBatch) }, (_, i): InrFitJob => ({ kind: 'inr-fit', images, start: i * fitBatch }));
}

/** The training jobs, in the order a local run does them. */
export function inrTrainJobs(config: InrEditingConfig, models: readonly { label: string }[]): InrTrainJob[] {
  return config.edits.flatMap((edit) => models.flatMap((model) => config.learningRates.flatMap((lr) => config.seeds.map((seed): InrTrainJob => ({
    kind: 'inr-train', edit: edit.label, model: model.label, lr, seed,
  })))));
}

export function inrJobName(job: InrEditingJob): string {
  return job.kind === 'inr-fit' ? `${job.images} INRs ${job.start}…` : `${runLabel(job.edit, job.model, job.lr)} seed=${job.seed}`;
}

/** A training job's key in the run directory (results.jsonl, checkpoints/, trained/). */
export function trainKey(config: InrEditingConfig, job: InrTrainJob): { model: string; trainSize: number; seed: number } {
  return { model: runLabel(job.edit, job.model, job.lr), trainSize: splitsOf(config).train.count, seed: job.seed };
}

/** What the queue needs to know about these jobs (runtime/queue/queue-runner.ts). */
export function inrJobDescription(config: InrEditingConfig): JobDescription<InrEditingJob, InrEditingOutcome> {
  return {
    name: inrJobName,
    units: (job) => jobUnits(config, job),
    cost: () => 0,
    decode: async (job, value) => {
      if (job.kind === 'inr-fit') return { job, ...decodeFits(config, job, value) };
      const { results, epochs, trained } = await decodeOutcome(job, value, [trainKey(config, job)]);
      const result = results[0] as EditRunResult;
      return { job, result, epochs, trained, device: result.device ?? 'a worker' };
    },
    device: (outcome) => outcome.device,
  };
}

/** Progress units: the INRs a fitting job fits, the steps of a training run. */
export function jobUnits(config: InrEditingConfig, job: InrEditingJob): number {
  return job.kind === 'inr-fit' ? Math.min(config.data.fitBatch, config.data.count - job.start) : config.steps;
}

/** Runs one job; a training job keeps its state in `store` (null for a fitting job). */
export async function runInrEditingJob(ctx: InrEditingContext, job: InrEditingJob, store: EditorStore | null): Promise<InrEditingOutcome> {
  const { config } = ctx;
  if (job.kind === 'inr-fit') {
    const images = loadImages(job.images, config.data.count).pixels;
    const fits = await fitInrBatch(ctx.gpu, ctx.target, images, config.data.count, pixelGrid(IMAGE_SIDE), new Rng(config.data.seed), job.start, fitOptions(config));
    ctx.progress.advance(fits.psnr.length, `${inrJobName(job)}: fitted`);
    return { job, fits, device: ctx.device };
  }
  const data = ctx.datasets.get(job.edit);
  const model = ctx.models.find((m) => m.label === job.model);
  if (data === undefined || model === undefined || store === null) throw new Error(`internal: no dataset, model or store for ${inrJobName(job)}`);
  const result = await trainEditor({ config, executor: ctx.executor, progress: ctx.progress }, data, model, job.lr, job.seed, store);
  return { job, result, epochs: [], trained: null, device: ctx.device };
}

/** One collection's fits from its batches' outcomes (any order). */
export function assembleFits(config: InrEditingConfig, layout: TargetLayout, outcomes: readonly { job: InrFitJob; fits: FittedInrs }[]): FittedInrs {
  const { count } = config.data;
  const P = layout.paramCount;
  const theta = new Float32Array(count * P);
  const psnr = new Float32Array(count);
  for (const { job, fits } of outcomes) {
    theta.set(fits.theta, job.start * P);
    psnr.set(fits.psnr, job.start);
  }
  return { theta, psnr };
}

/** What a worker returns for a training job (the queue's outcome format) or a fitting job (float32 as base64). */
export function encodeInrOutcome(outcome: InrEditingOutcome, store?: { epochs: readonly EpochMetrics[]; final: Checkpoint | null }): unknown {
  if (outcome.job.kind === 'inr-train' && 'result' in outcome) return encodeOutcome([{ ...outcome.result, device: outcome.device }], store?.epochs ?? [], store?.final ?? null);
  if (!('fits' in outcome)) throw new Error('internal: a fitting job without fits');
  return { format: FITS_FORMAT, theta: base64(outcome.fits.theta), psnr: base64(outcome.fits.psnr), device: outcome.device };
}

const FITS_FORMAT = 'gmn-inr-fits-batch';

function decodeFits(config: InrEditingConfig, job: InrFitJob, value: unknown): { fits: FittedInrs; device: string } {
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (o['format'] !== FITS_FORMAT || typeof o['theta'] !== 'string' || typeof o['psnr'] !== 'string' || typeof o['device'] !== 'string') {
    throw new Error(`malformed outcome of ${inrJobName(job)}: not a ${FITS_FORMAT} with theta, psnr and device`);
  }
  const n = Math.min(config.data.fitBatch, config.data.count - job.start);
  const theta = fromBase64(o['theta']);
  const psnr = fromBase64(o['psnr']);
  if (psnr.length !== n || theta.length % n !== 0) throw new Error(`malformed outcome of ${inrJobName(job)}: ${psnr.length} fits and ${theta.length} parameters for ${n} INRs`);
  return { fits: { theta, psnr }, device: o['device'] };
}

/** float32 values as base64 of their little-endian bytes (exact). */
export function base64(a: Float32Array): string {
  const bytes = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
