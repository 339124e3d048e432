// Runs a gmn command in-process with stdout and stderr captured (and restored afterwards).
import { vi } from 'vitest';
import type { Command } from '../../runtime/cli/command.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function capture(command: Command, ...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await command.run(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
