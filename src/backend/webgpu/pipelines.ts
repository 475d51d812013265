// WGSL loading, specialisation and the pipeline cache.
//
// Kernels live in the package's kernels/ folder (one concern per file) and are read at run time.
// A kernel is specialised two ways:
//  - text substitution of `{{NAME}}` placeholders, for what WGSL cannot parameterise (the expression
//    of an elementwise op); a line `#include "file.wgsl"` is replaced by that file (shared helpers);
//  - WGSL `override` constants, passed as pipeline constants, for sizes and layout flags the compiler
//    folds away (tile loads with vec4, bounds checks, threads per output).
// Pipelines are cached by `file:variant`, which is also the label of the shader module, the pipeline
// and every bind group, so Dawn's error messages name the kernel. Every kernel binds its parameters
// as a uniform at binding 0 (a slot of the uniform arena), its inputs read-only at
// bindings 1…n and its outputs (read-write; one, except for in-place updates) at n+1….
import { readFileSync } from 'node:fs';
import type { DeviceErrors } from './errors.js';

const KERNEL_DIR = new URL('../../../kernels/', import.meta.url);

export interface KernelVariant {
  /** File name in kernels/, without `.wgsl`. */
  readonly file: string;
  /** Names the specialisation; must be unique for each distinct substitution/constant set. */
  readonly variant: string;
  /** Read-only storage inputs, bound at 1…inputs; the outputs follow. */
  readonly inputs: number;
  /** Read-write storages bound after the inputs (default 1). */
  readonly outputs?: number;
  readonly substitutions?: Readonly<Record<string, string>>;
  readonly constants?: Readonly<Record<string, number>>;
}

export interface ComputeKernel {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroupLayout: GPUBindGroupLayout;
}

const sources = new Map<string, string>();

function kernelSource(file: string): string {
  let source = sources.get(file);
  if (source === undefined) {
    source = readFileSync(new URL(file, KERNEL_DIR), 'utf8').replace(/^#include "([\w.]+)"$/gm, (_, name: string) => kernelSource(name));
    sources.set(file, source);
  }
  return source;
}

export function specialise(source: string, substitutions: Readonly<Record<string, string>>): string {
  return source.replace(/\{\{(\w+)\}\}/g, (placeholder, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`WGSL placeholder ${placeholder} has no value`);
    return value;
  });
}

export class PipelineCache {
  private readonly kernels = new Map<string, ComputeKernel>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();

  constructor(
    private readonly device: GPUDevice,
    private readonly errors: DeviceErrors,
  ) {}

  get(spec: KernelVariant): ComputeKernel {
    const label = `${spec.file}:${spec.variant}`;
    let kernel = this.kernels.get(label);
    if (!kernel) {
      const code = specialise(kernelSource(`${spec.file}.wgsl`), spec.substitutions ?? {});
      kernel = this.compile(label, code, spec.inputs, spec.constants ?? {}, spec.outputs);
      this.kernels.set(label, kernel);
    }
    return kernel;
  }

  /** Compiles WGSL into a pipeline; a compilation error is thrown, labelled, at the next flush/read. */
  compile(label: string, code: string, inputs: number, constants: Readonly<Record<string, number>>, outputs = 1): ComputeKernel {
    this.errors.registerKernel(label);
    const bindGroupLayout = this.bindGroupLayout(inputs, outputs);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label, code });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [bindGroupLayout] }),
      compute: { module, entryPoint: 'main', constants: { ...constants } },
    });
    this.errors.track(
      this.device.popErrorScope().then((error) => {
        if (error) this.errors.record(label, error.message, true);
      }),
    );
    return { label, pipeline, bindGroupLayout };
  }

  private bindGroupLayout(inputs: number, outputs: number): GPUBindGroupLayout {
    const key = `${inputs},${outputs}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      ];
      for (let i = 1; i <= inputs; i++) entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } });
      for (let i = inputs + 1; i <= inputs + outputs; i++) entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
      layout = this.device.createBindGroupLayout({ label: `${inputs} input(s) + ${outputs} output(s)`, entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }
}
