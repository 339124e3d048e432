// Adapter policy (webgpu-on-cpu recipe §9): a hardware GPU or lavapipe through Dawn's default
// Vulkan path, else llvmpipe through GLES in compatibility mode, else nothing — and then callers fall
// back to the float64 reference executor with a warning that names the install step.
import { create, globals } from 'webgpu';
import { describeAdapter, type FoundAdapter } from './adapter-description.js';
import { withoutNativeChatter } from './native-chatter.js';

export { describeAdapter, type AdapterDescription, type AdapterPath, type FoundAdapter } from './adapter-description.js';

/** The exact step that gives a Debian 12 machine a WebGPU adapter. */
export const INSTALL_HINT =
  'install lavapipe (Mesa >= 25) from bookworm-backports: add bookworm-backports to the apt sources, then ' +
  '`apt-get install -y libvulkan1 && apt-get install -y -t bookworm-backports mesa-vulkan-drivers` ' +
  '(.ci/run does both)';

let globalsInstalled = false;

/** GPUBufferUsage, GPUMapMode, ... are plain globals in a browser; dawn.node hands them out. */
export function installWebGpuGlobals(): void {
  if (globalsInstalled) return;
  Object.assign(globalThis, globals);
  globalsInstalled = true;
}

/**
 * Tries the policy's paths in order and returns the first adapter, or null when there is none.
 * `compileOnly` asks for Dawn's `backend=null` adapter: it validates WGSL but never runs it.
 */
export async function findAdapter(options: { compileOnly?: boolean } = {}): Promise<FoundAdapter | null> {
  installWebGpuGlobals();
  if (options.compileOnly === true) return tryPath(['backend=null'], 'null', {});
  const core = await tryPath([], 'default', {});
  if (core !== null) return core;
  // The GL fallback only finds a display-less EGL with the surfaceless platform.
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  return tryPath(['backend=opengles'], 'opengles', { featureLevel: 'compatibility' });
}

async function tryPath(flags: string[], backend: string, request: GPURequestAdapterOptions): Promise<FoundAdapter | null> {
  return withoutNativeChatter(async () => {
    const gpu = create(flags);
    const adapter = await gpu.requestAdapter(request);
    if (adapter === null) return null;
    return { gpu, adapter, description: describeAdapter(adapter, backend) };
  });
}
