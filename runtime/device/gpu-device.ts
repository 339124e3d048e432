// The device on this machine: opened by the adapter policy (adapter.ts: GPU → lavapipe → GLES →
// none) through Dawn's `webgpu` package. `GpuDevice` is the device type (webgpu-device.ts) and,
// as a value, the way to open one here (`GpuDevice.open`); a browser opens its device from
// navigator.gpu with WebGpuDevice.onAdapter instead.
import { findAdapter, INSTALL_HINT, installWebGpuGlobals } from './adapter.js';
import { installPollingThrottle } from './polling.js';
import { WebGpuDevice, type DeviceOptions } from './webgpu-device.js';

export { storageUsage } from './webgpu-device.js';

export interface GpuOptions extends DeviceOptions {
  /** Throttle dawn.node's busy polling (recipe §6); frees a core for lavapipe. */
  throttlePolling?: boolean;
  /** Dawn's `backend=null` adapter: validates kernels, never runs them. */
  compileOnly?: boolean;
}

export type GpuDevice = WebGpuDevice;

export const GpuDevice = {
  /** Opens a device by the adapter policy; null when the machine has no adapter at all. */
  async open(options: GpuOptions = {}): Promise<GpuDevice | null> {
    installWebGpuGlobals();
    if (options.throttlePolling === true) installPollingThrottle();
    const found = await findAdapter({ compileOnly: options.compileOnly ?? false });
    if (found === null) return null;
    return WebGpuDevice.onAdapter(found, options);
  },
};

/** Opens a device by the policy, or explains the fallback on stderr (for `gmn run` and benches). */
export async function openOrWarn(options: GpuOptions = {}): Promise<GpuDevice | null> {
  const gpu = await GpuDevice.open(options);
  if (gpu === null) {
    process.stderr.write(`warning: no WebGPU adapter found; using the float64 reference executor (slow). To fix: ${INSTALL_HINT}\n`);
  }
  return gpu;
}
