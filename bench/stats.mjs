/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const round2 = (v) => Math.round(v * 100) / 100;

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples: sorted.length, p50: round2(percentile(sorted, 50)), p95: round2(percentile(sorted, 95)), max: round2(sorted.at(-1)) };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
