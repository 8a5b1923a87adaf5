/**
 * Seeded pseudo-random numbers for reproducible workloads: sfc32 (128-bit state, so the streams of different
 * clients do not overlap the way 32-bit generators' single cycle can) seeded through mulberry32 from a number.
 */
export type Random = () => number;

/** mulberry32: a 32-bit generator, used here only to spread a seed over sfc32's state. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A generator of uniform numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): Random {
  const init = mulberry32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i += 1) next();
  return () => next() / 4294967296;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A version-4 UUID drawn from `random` (the shape `crypto.randomUUID()` gives, but reproducible, so the floor
 * can regenerate the very rows a client sent).
 */
export function seededUuidV4(random: Random): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) {
    const word = Math.floor(random() * 4294967296);
    bytes[i] = word & 0xff;
    bytes[i + 1] = (word >>> 8) & 0xff;
    bytes[i + 2] = (word >>> 16) & 0xff;
    bytes[i + 3] = (word >>> 24) & 0xff;
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = (from: number, to: number) => {
    let s = '';
    for (let i = from; i < to; i += 1) s += HEX[bytes[i]!]!;
    return s;
  };
  return `${h(0, 4)}-${h(4, 6)}-${h(6, 8)}-${h(8, 10)}-${h(10, 16)}`;
}
