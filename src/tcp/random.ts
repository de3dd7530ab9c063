// A small seeded PRNG (mulberry32) for everything random in the endpoint, the lab and the benchmark
// capture generators: ISNs, timestamp offsets, jitter, probabilistic loss. The core never calls
// Math.random (every run must reproduce from its seed).

/** Returns uint32 values, deterministically from `seed`. */
export type RandomSource = () => number;

export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A float in [0, 1) from a RandomSource. */
export function randomUnit(random: RandomSource): number {
  return random() / 4294967296;
}

/** Floats in [0, 1), deterministically from `seed` (the benchmark capture generators). */
export function seededUnitRandom(seed: number): () => number {
  const random = seededRandom(seed);
  return () => randomUnit(random);
}
