// Waiting for the GPU without taking a core from it. dawn.node settles mapAsync and
// onSubmittedWorkDone by polling Dawn from a setImmediate loop that never sleeps. Where the adapter
// runs on the CPU (lavapipe), that loop takes a core from the very work it waits for, so while the
// promise is pending a second setImmediate loop sleeps NAP_MS between Dawn's polls.
const NAP_MS = 0.1;
const cell = new Int32Array(new SharedArrayBuffer(4));

export async function waitNapping<T>(promise: Promise<T>): Promise<T> {
  let waiting = true;
  const nap = (): void => {
    if (!waiting) return;
    Atomics.wait(cell, 0, 0, NAP_MS);
    setImmediate(nap);
  };
  setImmediate(nap);
  try {
    return await promise;
  } finally {
    waiting = false;
  }
}
