// What a run directory's config.json records about the run around a checkpoint folder
// (`<run>/trained/X` or `<run>/checkpoints/X`): the task's name and the .gmn file its models are
// declared in, and the preset, so commands that read a checkpoint (`gmn export`, `gmn predict`) need no --file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function recordedRun(checkpointDir: string): { task?: string; file?: string; preset?: string } | undefined {
  const configFile = join(dirname(dirname(resolve(checkpointDir))), 'config.json');
  if (!existsSync(configFile)) return undefined;
  try {
    const recorded = JSON.parse(readFileSync(configFile, 'utf8')) as { config?: { name?: unknown; preset?: unknown; models?: { span?: { file?: unknown } }[] } };
    const task = recorded.config?.name;
    const file = recorded.config?.models?.[0]?.span?.file;
    const preset = recorded.config?.preset;
    return { ...(typeof task === 'string' ? { task } : {}), ...(typeof file === 'string' ? { file } : {}), ...(typeof preset === 'string' ? { preset } : {}) };
  } catch {
    return undefined;
  }
}

/** The preset recorded around a checkpoint folder, where there is one. */
export function recordedPreset(checkpointDir: string): string | undefined {
  return recordedRun(checkpointDir)?.preset;
}
