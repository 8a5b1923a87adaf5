/** Command line of the realistic benchmark, and the workload sizes of the full and the quick run. */
export const PHASES = ['matrix', 'sustained', 'floor', 'currentUsage', 'live', 'rebuild', 'wallets'] as const;
export type PhaseName = (typeof PHASES)[number];

export type Sizes = {
  customers: number;
  subscriptions: number;
  /** Events per matrix cell. */
  matrixEvents: number;
  sustainedEvents: number;
  /** Sustained: a segment report every this many events. */
  segmentEvents: number;
  queryWarmup: number;
  queryRequests: number;
  /** Live: watchers on the hottest subscription, and on distinct others. */
  liveHot: number;
  liveOthers: number;
  liveConnections: number;
  liveSeconds: number;
  /** Wallets: customers of the phase's own with a wallet and a `walletUpdated` watcher each (5 subscriptions each). */
  walletCustomers: number;
  /** Wallets: subscriptions of the phase's own with a recurring usage threshold (progressive billing). */
  thresholdSubscriptions: number;
  walletConnections: number;
  /** Wallets: paced load before the measured seconds (first lookups of every subject, caches filled), not counted. */
  walletWarmupSeconds: number;
  walletSeconds: number;
  /** Wallets: then the same load for this long with the wallet watchers gone (progressive billing alone). */
  thresholdSeconds: number;
};

const FULL: Sizes = {
  customers: 2_000,
  subscriptions: 10_000,
  matrixEvents: 300_000,
  sustainedEvents: 10_000_000,
  segmentEvents: 1_000_000,
  queryWarmup: 200,
  queryRequests: 2_000,
  liveHot: 100,
  liveOthers: 900,
  liveConnections: 50,
  liveSeconds: 20,
  walletCustomers: 200,
  thresholdSubscriptions: 100,
  walletConnections: 20,
  walletWarmupSeconds: 5,
  walletSeconds: 20,
  thresholdSeconds: 10,
};

const QUICK: Sizes = {
  customers: 200,
  subscriptions: 1_000,
  matrixEvents: 20_000,
  sustainedEvents: 150_000,
  segmentEvents: 50_000,
  queryWarmup: 200,
  queryRequests: 500,
  liveHot: 10,
  liveOthers: 90,
  liveConnections: 10,
  liveSeconds: 5,
  walletCustomers: 50,
  thresholdSubscriptions: 20,
  walletConnections: 10,
  walletWarmupSeconds: 2,
  walletSeconds: 8,
  thresholdSeconds: 4,
};

export type Options = { quick: boolean; phases: PhaseName[]; out: string | null; profile: boolean; sizes: Sizes };

export const USAGE = `usage: npx node --max-semi-space-size=8 scripts/bench/realistic.ts [--quick] [--phases=a,b,c] [--out=file.json] [--profile]
  --quick          200 customers / 1,000 subscriptions, smaller phases (the full run takes a long time)
  --phases=…       any of ${PHASES.join(', ')} (default all; always run in that order);
                   e.g. --phases=wallets --quick runs the wallets phase alone on the quick shape
  --out[=file]     write every figure there as JSON (bare --out: ./bench-results.json; default: a file in the temp dir)
  --profile        run the server with --cpu-prof; print the top 15 functions by self time per thread
  --subscriptions=N, --sustained-events=N
                   resize the run (customers: a fifth of the subscriptions; sustained segments: a tenth)`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  let profile = false;
  let out: string | null = null;
  let phases: PhaseName[] = [...PHASES];
  const resized: Partial<Sizes> = {};
  const count = (flag: string, value: string | undefined) => {
    const n = Number(value?.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer`);
    return n;
  };
  for (const arg of argv) {
    const [flag, value] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--quick' && value === undefined) quick = true;
    else if (flag === '--profile' && value === undefined) profile = true;
    else if (flag === '--out') out = value || 'bench-results.json';
    else if (flag === '--phases' && value) {
      const wanted = value.split(',').map((p) => p.trim().toLowerCase().replace(/[-_]/g, '')).filter((p) => p.length > 0);
      const unknown = wanted.filter((w) => !PHASES.some((p) => p.toLowerCase() === w));
      if (unknown.length > 0) throw new UsageError(`unknown phase(s): ${unknown.join(', ')}; known: ${PHASES.join(', ')}`);
      phases = PHASES.filter((p) => wanted.includes(p.toLowerCase()));
    } else if (flag === '--subscriptions') {
      resized.subscriptions = count(flag, value);
      resized.customers = Math.max(1, Math.round(resized.subscriptions / 5));
    } else if (flag === '--sustained-events') {
      resized.sustainedEvents = count(flag, value);
      resized.segmentEvents = Math.max(1, Math.round(resized.sustainedEvents / 10));
    } else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else throw new UsageError(`unknown argument: ${arg}`);
  }
  return { quick, phases, out, profile, sizes: { ...(quick ? QUICK : FULL), ...resized } };
}
