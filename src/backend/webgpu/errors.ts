// Device health: remembers why the device was lost (every later call fails with that reason) and
// collects validation errors that Dawn reports asynchronously, to be thrown at the next flush/read.
// Every wait on the GPU is raced against `device.lost`, so a lost device never leaves a read hanging.
export class DeviceErrors {
  private lostReason: string | null = null;
  private readonly deferred: string[] = [];
  private readonly pendingChecks = new Set<Promise<void>>();
  private readonly kernelLabels = new Set<string>();
  /**
   * The waits in flight, rejected when the device is lost. Not Promise.race(work, lost): each race
   * leaves a reaction on the never-settling `lost` promise, ≈300 bytes of heap per read for the session.
   */
  private readonly waiting = new Set<(error: Error) => void>();

  constructor(device: GPUDevice) {
    void device.lost.then((info) => {
      this.markLost(info.message || info.reason);
      for (const reject of this.waiting) reject(this.lostError());
      this.waiting.clear();
    });
    device.onuncapturederror = (event) => this.record(this.kernelNamedIn(event.error.message), event.error.message);
  }

  /**
   * Awaits GPU work unless the device is lost first. Dawn may also abort the work itself (AbortError)
   * before `device.lost` settles: that too means the device is gone.
   */
  async unlessLost<T>(work: Promise<T>): Promise<T> {
    work.catch(() => {}); // if the loss comes first, the work's own rejection is moot
    try {
      this.assertAlive();
      return await new Promise<T>((resolve, reject) => {
        this.waiting.add(reject);
        work.then(resolve, reject).finally(() => this.waiting.delete(reject));
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') this.markLost(`pending GPU work was aborted (${error.message || 'AbortError'})`);
      this.assertAlive();
      throw error;
    }
  }

  markLost(reason: string): void {
    this.lostReason ??= reason;
  }

  /** Throws `device lost: …` if the device is gone. Every backend entry point calls this first. */
  assertAlive(): void {
    if (this.lostReason !== null) throw this.lostError();
  }

  get isLost(): boolean {
    return this.lostReason !== null;
  }

  registerKernel(label: string): void {
    this.kernelLabels.add(label);
  }

  /** Remembers an error for the next flush/read; `first` puts a root cause (a compile error) ahead. */
  record(kernel: string, message: string, first = false): void {
    const entry = `${kernel}: ${message.trim()}`;
    if (first) this.deferred.unshift(entry);
    else this.deferred.push(entry);
  }

  /** Tracks an error-scope result (pipeline compilation) that `throwDeferred` must wait for. */
  track(check: Promise<void>): void {
    const settled = check.catch((e: unknown) => this.record('webgpu', String(e))).finally(() => this.pendingChecks.delete(settled));
    this.pendingChecks.add(settled);
  }

  /** Waits for outstanding checks, then throws the deferred errors, root causes first (and forgets them). */
  async throwDeferred(): Promise<void> {
    if (this.pendingChecks.size > 0) await Promise.all(this.pendingChecks);
    this.assertAlive();
    if (this.deferred.length > 0) throw new Error(this.deferred.splice(0).join('\n'));
  }

  private lostError(): Error {
    return new Error(`device lost: ${this.lostReason}`);
  }

  /** Dawn quotes object labels in its messages; the first one that is a kernel's names the culprit. */
  private kernelNamedIn(message: string): string {
    for (const [, quoted] of message.matchAll(/"([^"]*)"/g)) if (this.kernelLabels.has(quoted)) return quoted;
    return 'webgpu';
  }
}
