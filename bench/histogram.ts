// A fixed-resolution latency histogram: 0.1 ms buckets up to 10 s, constant memory however many samples.
export const BUCKET_MS = 0.1;
export const BUCKETS = 100_000;

export function record(h: Uint32Array, ms: number): void {
  const i = Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)));
  h[i] = (h[i] ?? 0) + 1;
}

export function merge(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

export function count(h: Uint32Array): number {
  let n = 0;
  for (const v of h) n += v;
  return n;
}

/** The q-quantile (0..1) in ms; NaN when empty. Samples over 10 s count as 10 s. */
export function quantile(h: Uint32Array, q: number): number {
  const total = count(h);
  if (total === 0) return Number.NaN;
  const target = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i] ?? 0;
    if (seen >= target) return (i + 1) * BUCKET_MS;
  }
  return BUCKETS * BUCKET_MS;
}

export const newHistogram = () => new Uint32Array(BUCKETS + 1);
