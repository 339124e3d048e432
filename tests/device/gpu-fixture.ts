// Opens the test device once per file. Tests skip (with a message saying why and how to fix it)
// only when the machine has no WebGPU adapter at all; on a machine with lavapipe they run there.
import { GpuDevice, INSTALL_HINT } from '../../runtime/device/index.js';

export async function openTestGpu(): Promise<GpuDevice | null> {
  const gpu = await GpuDevice.open({ checked: true });
  if (gpu === null) {
    console.warn(`SKIPPED: no WebGPU adapter on this machine, GPU tests do not run. To run them: ${INSTALL_HINT}`);
  }
  return gpu;
}

/** Float32 agreement with a float64 oracle: |got − want| ≤ atol + rtol·|want| everywhere. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 2e-5, atol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - (atol + rtol * Math.abs(want[i]!));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) throw new Error(`mismatch at ${worst}: got ${got[worst]}, want ${want[worst]} (of ${want.length} values)`);
}
