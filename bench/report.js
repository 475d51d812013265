// Markdown from a results report (bench/results/*.json): the full page run.js writes next to the
// JSON, and the per-pairing tables that readme.js puts into README.md.

export const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));

/** One table per pairing, under `heading` (e.g. '##') + the pairing's title. */
export function tables(report, heading = '##') {
  const cell = (r, n) => {
    const s = r.sides[n];
    if (!s) return '–';
    if (s.skipped || s.error) return s.skipped ?? `error: ${s.error}`;
    return `${fmtMs(s.medianMs)} ms ±${s.rmePct.toFixed(1)}%` + (s.gflops ? ` (${s.gflops.toFixed(1)} GFLOP/s)` : '');
  };
  const ratio = (r, n, base) => {
    const a = r.sides[n], b = r.sides[base];
    return a?.medianMs && b?.medianMs ? `${(a.medianMs / b.medianMs).toFixed(2)}×` : '–';
  };
  const dispatches = (r, n) => (r.sides[n]?.dispatchesPerCall !== undefined ? String(+r.sides[n].dispatchesPerCall.toFixed(1)) : 'n/a');
  const table = (pairing) => {
    // Reports written before pairings carried these: the webgrad side comes first, only WebGPU counts dispatches.
    const { webgrad = pairing.sides[0], dispatches: counted = pairing.id === 'webgpu' } = pairing;
    const peers = pairing.sides.filter((n) => n !== webgrad);
    const extra = counted ? pairing.sides.map((n) => `${n} dispatches/call`) : [];
    return [
      `${heading} ${pairing.title}`, '',
      `| case | ${pairing.sides.join(' | ')} | ${peers.map((n) => `${n} / ${pairing.id === 'cpu' ? 'webgrad' : webgrad}`).join(' | ')} |${extra.map((e) => ` ${e} |`).join('')}`,
      `|---|${pairing.sides.map(() => '---:').join('|')}|${peers.map(() => '---:').join('|')}|${extra.map(() => '---:|').join('')}`,
      ...report.results.map((r) => `| ${r.label} | ${pairing.sides.map((n) => cell(r, n)).join(' | ')} | ${peers.map((n) => ratio(r, n, webgrad)).join(' | ')} |` +
        (counted ? pairing.sides.map((n) => ` ${dispatches(r, n)} |`).join('') : '')),
      '',
    ];
  };
  return report.pairings.flatMap(table);
}

export const describeMachine = ({ machine: m }) => `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`;

export const backendLines = (report) => [
  ...report.backends.map((b) => `- ${b.name}: ${b.description}`),
  ...report.unavailable.map((u) => `- ${u.name}: ${u.reason}`),
];

/** The page written as bench/results/<name>.md. */
export function markdown(report) {
  const s = report.settings;
  return [
    '# webgrad vs TensorFlow.js and PyTorch', '',
    `${report.date}${report.filters.length ? ` — filtered: ${report.filters.join(', ')}` : ''}`, '',
    `**Machine.** ${describeMachine(report)}.`, '',
    '**Backends.**', '',
    ...backendLines(report), '',
    `**Method.** Median of benchmark.js samples (maxTime ${s.maxTime} s, ≥${s.minSamples} samples) after ≥${s.warmup.calls} warm-up calls (≥${s.warmup.seconds} s);`,
    ...(s.rounds ? [`the sides of a case take turns ${s.rounds} times (≥${s.rewarm.calls} calls, ≥${s.rewarm.seconds} s of warm-up before each later turn) and each keeps its fastest turn's median, so a burst of noise on the machine does not decide a ratio;`] : []),
    `± is benchmark.js's relative margin of error (95 %). Every call ends with a readback (\`await t.data()\`) of its result.`,
    'torch-cpu is sampled inside its Python process (bench/torch/peer.py) the same way, a call ending in a copy of its result to a numpy array, so no IPC is timed.',
    `Each peer's first ${s.checkSteps} results were checked equal to webgrad's (f32 tolerance) before timing; webgrad-webgpu's were checked against webgrad-cpu's. Ratio = peer time / webgrad time (>1: webgrad faster).`,
    `Dispatches/call: WebGPU compute dispatches per call, averaged over ${s.dispatchSteps} calls after timing (webgrad: \`getBackend('webgpu').stats().dispatches\`; tfjs-webgpu: calls of its backend's \`recordAndSubmit\`, one per \`dispatchWorkgroups\`). WebGPU sides yield to the event loop every ${s.yieldEvery} calls.`, '',
    ...tables(report),
  ].join('\n');
}
