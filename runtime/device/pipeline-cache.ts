// Compute pipelines keyed by their WGSL source: kernels take their shapes from uniforms, so one
// pipeline serves every size, and generating the same source twice never compiles twice.
// In checked mode (debug, tests) a kernel that fails to compile or validate is an error with Tint's
// messages, never silent garbage (recipe pitfall 6).

export type BindingKind = 'uniform' | 'read' | 'read_write';

export class KernelError extends Error {
  constructor(readonly kernel: string, readonly details: string) {
    super(`WGSL kernel ${kernel} is invalid:\n${details}`);
  }
}

export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /**
   * Builds run one after another: error scopes are a per-device stack, so two builds awaiting at
   * once would pop each other's scopes and blame a valid kernel for another's error.
   */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(private readonly device: GPUDevice, private readonly checked: boolean) {}

  get size(): number {
    return this.pipelines.size;
  }

  /**
   * `bindings` lists binding 0, 1, ... in order. The layout is explicit (not `auto`) so a kernel
   * that ignores one of its buffers still accepts the same bind group.
   */
  get(name: string, source: string, bindings: BindingKind[]): Promise<GPUComputePipeline> {
    let pipeline = this.pipelines.get(source);
    if (pipeline === undefined) {
      pipeline = this.previous.then(() => this.build(name, source, bindings));
      this.previous = pipeline.catch(() => undefined);
      this.pipelines.set(source, pipeline);
    }
    return pipeline;
  }

  private async build(name: string, source: string, bindings: BindingKind[]): Promise<GPUComputePipeline> {
    if (this.checked) this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: source, label: name });
    if (this.checked) {
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        await this.device.popErrorScope();
        throw new KernelError(name, errors.map((m) => `${name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n'));
      }
    }
    const bindGroupLayout = this.device.createBindGroupLayout({
      label: name,
      entries: bindings.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    const layout = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout], label: name });
    const pipeline = this.device.createComputePipeline({ layout, compute: { module, entryPoint: 'main' }, label: name });
    if (this.checked) {
      const error = await this.device.popErrorScope();
      if (error !== null) throw new KernelError(name, error.message);
    }
    return pipeline;
  }
}
