/**
 * The realistic workload, shared by the load clients, the query client and the floor: the same client spec and
 * shape always generate the same events (duplicates included), so the floor can insert the very rows a phase sent.
 */
import { seededRandom, seededUuidV4, type Random } from './random.ts';
import { Zipf } from './zipf.ts';

export type Shape = { customers: number; subscriptions: number };
export const SUBSCRIPTIONS_PER_CUSTOMER = 5;
export const USERS = 500;

export const subscriptionId = (index: number) => `sub_${index}`;
export const customerId = (index: number) => `cus_${index}`;
/** The customer a subscription belongs to (5 consecutive subscriptions per customer). */
export const customerOfSubscription = (index: number) => Math.floor(index / SUBSCRIPTIONS_PER_CUSTOMER);

export type MetricCode = 'api_calls' | 'tokens' | 'active_users' | 'gpu_peak';
const CODE_WEIGHTS: readonly [MetricCode, number][] = [['api_calls', 0.4], ['tokens', 0.3], ['active_users', 0.2], ['gpu_peak', 0.1]];
const REGIONS: readonly [string, number][] = [['eu', 0.5], ['us', 0.35], ['ap', 0.15]];

function weighted<T>(choices: readonly [T, number][], random: Random): T {
  let u = random();
  for (const [value, weight] of choices) {
    if (u < weight) return value;
    u -= weight;
  }
  return choices[choices.length - 1]![0];
}

const zipfs = new Map<number, Zipf>();
function zipfOf(n: number): Zipf {
  let zipf = zipfs.get(n);
  if (!zipf) zipfs.set(n, (zipf = new Zipf(n, 1.0)));
  return zipf;
}

const orders = new Map<number, Uint32Array>();
/**
 * Zipf rank → subscription index: a fixed shuffle, so the hot subscriptions are spread over customers and plans
 * rather than being sub_0, sub_1, ….
 */
export function subscriptionByRank(subscriptions: number): Uint32Array {
  let order = orders.get(subscriptions);
  if (order) return order;
  order = new Uint32Array(subscriptions);
  for (let i = 0; i < subscriptions; i += 1) order[i] = i;
  const random = seededRandom(0x5eed);
  for (let i = subscriptions - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  orders.set(subscriptions, order);
  return order;
}

/** Draws subscription indices with the workload's Zipf over ranks. */
export function subscriptionSampler(subscriptions: number, random: Random): () => number {
  const zipf = zipfOf(subscriptions);
  const order = subscriptionByRank(subscriptions);
  return () => order[zipf.sample(random)]!;
}

export type BenchEvent = {
  transactionId: string;
  externalSubscriptionId: string;
  code: MetricCode;
  properties: Record<string, string>;
};

export type ClientSpec = {
  /** Unique in a run: ordered transaction ids are `c<client>-<seq>`, and the seed derives from it. */
  client: number;
  idMode: 'random' | 'ordered';
  /** `all`: the four metrics with their weights; `api_calls`: only that one (the live phase). */
  codes: 'all' | 'api_calls';
  /** Share of events that re-send an event this client sent earlier (same transactionId and subscription). */
  duplicateRate: number;
  /**
   * A share of the (new) events goes, uniformly, to the subscriptions `from` … `from + count − 1` (outside the
   * book's Zipf, e.g. the wallets phase's own customers); the rest follow the book's Zipf. Absent: Zipf only.
   */
  sample?: { from: number; count: number; share: number };
};

export const seedOf = (client: number) => (Math.imul(client + 1, 0x9e3779b1) ^ 0x1b873593) >>> 0;

const RING = 8192;

/** One client's event stream. */
export class EventGenerator {
  /** Events generated so far, duplicates included. */
  generated = 0;
  duplicates = 0;
  private seq = 0;
  private readonly random: Random;
  private readonly nextSubscription: () => number;
  private readonly users: Zipf;
  private readonly ring: BenchEvent[] = [];
  private ringNext = 0;

  private readonly spec: ClientSpec;

  constructor(spec: ClientSpec, shape: Shape) {
    this.spec = spec;
    this.random = seededRandom(seedOf(spec.client));
    this.nextSubscription = subscriptionSampler(shape.subscriptions, this.random);
    this.users = zipfOf(USERS);
  }

  next(): BenchEvent {
    const random = this.random;
    this.generated += 1;
    if (this.spec.duplicateRate > 0 && this.ring.length > 0 && random() < this.spec.duplicateRate) {
      this.duplicates += 1;
      return this.ring[Math.floor(random() * this.ring.length)]!;
    }
    const sample = this.spec.sample;
    const index = sample !== undefined && random() < sample.share ? sample.from + Math.floor(random() * sample.count) : this.nextSubscription();
    const externalSubscriptionId = subscriptionId(index);
    const code: MetricCode = this.spec.codes === 'api_calls' ? 'api_calls' : weighted(CODE_WEIGHTS, random);
    const transactionId = this.spec.idMode === 'random' ? seededUuidV4(random) : `c${this.spec.client}-${this.seq}`;
    this.seq += 1;
    const event: BenchEvent = { transactionId, externalSubscriptionId, code, properties: this.properties(code) };
    if (this.spec.duplicateRate > 0) {
      if (this.ring.length < RING) this.ring.push(event);
      else this.ring[this.ringNext] = event;
      this.ringNext = (this.ringNext + 1) % RING;
    }
    return event;
  }

  batch(size: number): BenchEvent[] {
    const events = new Array<BenchEvent>(size);
    for (let i = 0; i < size; i += 1) events[i] = this.next();
    return events;
  }

  private properties(code: MetricCode): Record<string, string> {
    const random = this.random;
    switch (code) {
      case 'api_calls':
        return { region: weighted(REGIONS, random) };
      case 'tokens':
        return { tokens: String(1 + Math.floor(random() * 2000)) };
      case 'active_users':
        return { user: `u_${this.users.sample(random)}` };
      case 'gpu_peak':
        return { gpu: (random() * 100).toFixed(1) };
    }
  }
}
