// `gmn doctor`: which WebGPU adapter this machine has, and so which path `gmn run` takes.
// Always exits 0: having no adapter is a fact to report (with the install step), not an error.
import { findAdapter, INSTALL_HINT, type AdapterDescription } from '../../device/index.js';
import { EXIT, parseCommandArgs, type Command } from '../command.js';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'report the WebGPU adapter found and which executor `gmn run` would use',
  usage: [
    'usage: gmn doctor [--json]',
    '',
    'Looks for a WebGPU adapter by gmn\'s policy: a hardware GPU or lavapipe (Vulkan), else',
    'llvmpipe through OpenGL ES in compatibility mode, else none (then `gmn run` falls back to the',
    'float64 reference executor). Prints the adapter\'s vendor, architecture, description, backend,',
    'key limits and features, or what to install.',
    '',
    'options:',
    '  --json   print the findings as one JSON object',
    '',
    'exit codes: 0 always (also when no adapter exists), 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, { json: { type: 'boolean' } });
    const found = await findAdapter();
    const description = found?.description ?? null;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ adapter: description, executor: executorFor(description), install: description === null ? INSTALL_HINT : null }, null, 2)}\n`);
    } else {
      process.stdout.write(report(description));
    }
    return EXIT.ok;
  },
};

function executorFor(d: AdapterDescription | null): string {
  if (d === null) return 'reference (float64 JavaScript, slow)';
  if (d.path === 'gpu') return 'webgpu on a hardware GPU';
  if (d.path === 'lavapipe') return 'webgpu on lavapipe (software Vulkan on the CPU)';
  if (d.path === 'software') return 'webgpu on a software adapter on the CPU';
  return 'webgpu on llvmpipe through OpenGL ES (compatibility mode)';
}

function report(d: AdapterDescription | null): string {
  if (d === null) {
    return [
      'adapter: none',
      `gmn run would use: ${executorFor(null)}`,
      `to get a WebGPU adapter on Debian 12: ${INSTALL_HINT}`,
      '',
    ].join('\n');
  }
  const lines = [
    `adapter: ${d.path}`,
    `  vendor:        ${d.vendor || '(unknown)'}`,
    `  architecture:  ${d.architecture || '(unknown)'}`,
    `  device:        ${d.device || '(unknown)'}`,
    `  description:   ${d.description || '(none)'}`,
    `  backend:       ${d.backend}`,
    `  feature level: ${d.featureLevel}`,
    '  limits:',
    ...Object.entries(d.limits).map(([k, v]) => `    ${k}: ${v}`),
    `  features: ${d.features.filter((f) => KEY_FEATURES.includes(f)).join(', ') || '(none of note)'}`,
    `gmn run would use: ${executorFor(d)}`,
  ];
  if (d.path === 'gles-compat') lines.push(`for the faster core (Vulkan) path: ${INSTALL_HINT}`);
  return `${lines.join('\n')}\n`;
}

const KEY_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'core-features-and-limits'];
