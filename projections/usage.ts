import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { DocumentWrite } from '../src/application/ports/readModelStore.ts';
import type { IngestedUsageEvent } from '../src/billing/usage/types.ts';
import { SUBSCRIPTION_EVENT_TYPES } from '../src/domain/subscription/index.ts';
import type { StatefulFold, StatefulProjection, StatefulDeps } from './projection.ts';
import { UsageFolder, type Subject } from './usageFolder.ts';
import { BUCKETS, METERS, VALUES, generationPrefix, rangeOf, subjectKey, type UsageMeterDocument } from './usageStore.ts';
import { keysTouchedBy } from './usageTriggers.ts';

/** Events that change where or how usage is folded: the projection re-checks the external ids they touch. */
export const USAGE_BARRIERS: readonly string[] = [
  ...SUBSCRIPTION_EVENT_TYPES,
  'CustomerUpdated',
  'CustomerDeleted',
  'OrganizationUpdated',
  'PlanUpdated',
  'PlanDeleted',
  'BillableMetricCreated',
  'BillableMetricUpdated',
  'BillableMetricDeleted',
];

/** Events a re-fold reads per step, and documents a clean-up deletes per step. */
export const REFOLD_PAGE = 2_000;
const CLEANUP_PAGE = 2_000;

/**
 * Usage per subscription × metric × charges period × bucket (see usageStore.ts), folded event by event from
 * `UsageEventIngested`. Invariant: an external subscription id's usage is what folding all its events with the
 * current catalog gives. When the catalog that places its events changes (a subscription starts, ends or changes
 * plan, a plan, metric or timezone changes), its fingerprint changes and its usage is re-folded from the log in the
 * background: into the next generation, a page per step, the cursor committed with each page (a crash resumes it),
 * while queries keep reading the current generation and every other subscription keeps folding live.
 */
export const usageProjection: StatefulProjection = {
  kind: 'stateful',
  name: 'usage',
  collections: [
    { name: METERS, indexes: [{ name: 'byPending', keys: { pending: 1 } }] },
    { name: BUCKETS, indexes: [], clustered: true },
    { name: VALUES, indexes: [], clustered: true },
  ],
  handles: ['UsageEventIngested', ...USAGE_BARRIERS],
  barriers: USAGE_BARRIERS,
  create: (deps) => new UsageFold(deps),
};

type Job = { key: string; started: boolean };

class UsageFold implements StatefulFold {
  private readonly deps: StatefulDeps;
  private readonly folder: UsageFolder;
  /** Subjects being re-folded, by key. */
  private readonly refolds = new Map<string, Job>();
  /** Subjects with discarded generations to delete. */
  private readonly cleanups = new Set<string>();
  private deletes: DocumentWrite[] = [];
  private readonly deleting = new Set<string>();
  /** The last position the live fold has processed: re-folds read up to it. */
  private live = 0n;
  private readonly page: number;

  constructor(deps: StatefulDeps) {
    this.deps = deps;
    this.page = deps.refoldPage ?? REFOLD_PAGE;
    this.folder = new UsageFolder(deps.readModels);
  }

  async start(checkpoint: bigint): Promise<void> {
    this.live = checkpoint;
    const pending = await this.deps.readModels.collection<UsageMeterDocument>(METERS).find({ pending: true });
    await this.folder.ensureSubjects(pending);
    for (const meter of pending) {
      if (meter.refold !== null) this.refolds.set(meter._id, { key: meter._id, started: true });
      if (meter.garbage.length > 0) this.cleanups.add(meter._id);
    }
  }

  async barrier(events: readonly RecordedEvent[]): Promise<void> {
    const touched = [...(await keysTouchedBy(events, this.deps.readModels)).values()];
    for (const key of touched) this.folder.forget(subjectKey(key.organizationId, key.externalSubscriptionId));
    await this.folder.ensureSubjects(touched);
    for (const key of touched) this.reconcile(this.folder.subject(subjectKey(key.organizationId, key.externalSubscriptionId))!);
    await this.startRefolds(touched.map((key) => subjectKey(key.organizationId, key.externalSubscriptionId)));
  }

  /**
   * One step of each re-fold just started: a subscription with few events (a new one has none) is done at once,
   * before the page's own events are folded; longer ones go on in the background.
   */
  private async startRefolds(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const job = this.refolds.get(key);
      if (job !== undefined && !job.started) await this.refoldStep(job);
    }
  }

  async process(events: readonly RecordedEvent[], end: bigint): Promise<void> {
    const usage = events.filter((e) => e.type === 'UsageEventIngested');
    const subjects = new Map<string, IngestedUsageEvent>();
    const keys = usage.map((event) => {
      const data = event.data as IngestedUsageEvent;
      const key = subjectKey(data.organizationId, data.externalSubscriptionId);
      if (!subjects.has(key)) subjects.set(key, data);
      return key;
    });
    await this.folder.ensureSubjects([...subjects.values()]);
    for (const key of subjects.keys()) this.reconcile(this.folder.subject(key)!);
    await this.startRefolds([...subjects.keys()]);
    // A subject being re-folded is skipped: its re-fold reads these events from the log.
    await this.folder.fold(usage, (subject) => (subject.meter === null || subject.meter.refold !== null ? null : subject.meter.generation), true, keys);
    for (const key of this.folder.takeBroken()) this.restart(key, true);
    this.live = end;
  }

  takeWrites(position: bigint): DocumentWrite[] {
    const writes = [...this.folder.takeWrites(position), ...this.deletes.map((w) => ({ ...w, position }))];
    this.deletes = [];
    this.deleting.clear();
    return writes;
  }

  takeFailures() {
    return this.folder.takeFailures();
  }

  takeChanged(): string[] {
    return this.folder.takeChanged();
  }

  pending(): number {
    return this.folder.pending() + this.deletes.length;
  }

  hasBackgroundWork(): boolean {
    return this.refolds.size > 0 || this.cleanups.size > 0;
  }

  stale(): string[] {
    return [...this.refolds.keys()];
  }

  reset(): void {
    this.folder.reset();
    this.deletes = [];
    this.deleting.clear();
  }

  /** One bounded slice of background work: a page of a re-fold, or of a clean-up. */
  async backgroundStep(budgetMs: number): Promise<void> {
    const deadline = performance.now() + budgetMs;
    for (const job of [...this.refolds.values()]) {
      await this.refoldStep(job);
      if (performance.now() > deadline) return;
    }
    for (const key of [...this.cleanups]) {
      await this.cleanupStep(key);
      if (performance.now() > deadline) return;
    }
  }

  /** Starts, restarts or cancels the subject's re-fold when its catalog no longer matches its usage. */
  private reconcile(subject: Subject): void {
    if (this.folder.upToDate(subject)) return;
    const meter = subject.meter;
    if (meter === null && this.deps.fromEmpty) {
      // A rebuild meets the subject's first event with the final catalog: nothing before it to re-fold.
      this.update(subject, { _id: subject.key, organizationId: subject.organizationId, externalSubscriptionId: subject.externalSubscriptionId, generation: 1, fingerprint: subject.fingerprint, refold: null, garbage: [], pending: false });
      return;
    }
    if (meter !== null && meter.refold !== null && meter.fingerprint === subject.fingerprint) {
      // Changed back before the re-fold finished: the current generation is right again.
      this.update(subject, { ...meter, refold: null, garbage: [...meter.garbage, meter.refold.generation] });
      this.refolds.delete(subject.key);
      return;
    }
    this.restart(subject.key, false);
  }

  private restart(key: string, ordered: boolean): void {
    const subject = this.folder.subject(key);
    if (subject === undefined) return;
    const meter = subject.meter ?? { _id: key, organizationId: subject.organizationId, externalSubscriptionId: subject.externalSubscriptionId, generation: 0, fingerprint: '', refold: null, garbage: [], pending: false };
    const garbage = meter.refold === null ? meter.garbage : [...meter.garbage, meter.refold.generation];
    const generation = Math.max(meter.generation, meter.refold?.generation ?? 0) + 1;
    this.update(subject, { ...meter, refold: { generation, fingerprint: subject.fingerprint, cursor: '0', ordered }, garbage });
    this.refolds.set(key, { key, started: false });
  }

  private update(subject: Subject, meter: UsageMeterDocument): void {
    const next = { ...meter, pending: meter.refold !== null || meter.garbage.length > 0 };
    this.folder.setMeter(subject, next);
    if (next.garbage.length > 0) this.cleanups.add(subject.key);
  }

  /**
   * One page of a subject's events past the cursor and up to what the live fold has processed, folded into the
   * generation being built. A page shorter than asked for means the subject has caught up: its new generation
   * becomes the one queries read, and the live fold takes over.
   */
  private async refoldStep(job: Job): Promise<void> {
    job.started = true;
    await this.folder.ensureSubjects([this.meterOf(job.key)]);
    const subject = this.folder.subject(job.key)!;
    const meter = subject.meter;
    if (meter === null || meter.refold === null) return void this.refolds.delete(job.key);
    const refold = meter.refold;
    const into = (s: Subject) => (s.key === subject.key ? refold.generation : null);
    if (refold.ordered) {
      // A running total broke: every event so far, in timestamp order (memory grows with the subject's events).
      const all = (await this.readAll(subject, BigInt(refold.cursor))).sort(byTimestamp);
      await this.folder.fold(all, into, false);
      this.update(subject, { ...meter, refold: { ...refold, cursor: this.live.toString(), ordered: false } });
      return;
    }
    const page = await this.deps.eventStore.readUsage(subject.organizationId, subject.externalSubscriptionId, { after: BigInt(refold.cursor), before: this.live + 1n, maxCount: this.page });
    await this.folder.fold(page, into);
    if (page.length === this.page) {
      this.update(subject, { ...meter, refold: { ...refold, cursor: page.at(-1)!.position.toString() } });
      return;
    }
    // Caught up with the live fold: the new generation is the one queries read from now on.
    const garbage = meter.generation > 0 ? [...meter.garbage, meter.generation] : meter.garbage;
    this.update(subject, { ...meter, generation: refold.generation, fingerprint: refold.fingerprint, refold: null, garbage });
    this.refolds.delete(job.key);
  }

  private async readAll(subject: Subject, from: bigint): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    for (let after = from; ; ) {
      const page = await this.deps.eventStore.readUsage(subject.organizationId, subject.externalSubscriptionId, { after, before: this.live + 1n, maxCount: this.page });
      all.push(...page);
      if (page.length < this.page) return all;
      after = page.at(-1)!.position;
    }
  }

  /** Deletes a page of the oldest discarded generation's documents; drops it from the meter once empty. */
  private async cleanupStep(key: string): Promise<void> {
    await this.folder.ensureSubjects([this.meterOf(key)]);
    const subject = this.folder.subject(key)!;
    const meter = subject.meter;
    const generation = meter?.garbage[0];
    if (meter === null || generation === undefined) return void this.cleanups.delete(key);
    let emptied = true;
    for (const collection of [BUCKETS, VALUES]) {
      const found = await this.deps.readModels.collection(collection).find(rangeOf(generationPrefix(key, generation)), { limit: CLEANUP_PAGE });
      const ids = found.map((doc) => doc._id).filter((id) => !this.deleting.has(id));
      this.folder.evict(collection, ids);
      for (const id of ids) {
        this.deleting.add(id);
        this.deletes.push({ collection, id, doc: null, position: 0n });
      }
      if (found.length === CLEANUP_PAGE) emptied = false;
    }
    if (emptied) {
      this.update(subject, { ...meter, garbage: meter.garbage.slice(1) });
      if (meter.garbage.length === 1) this.cleanups.delete(key);
    }
  }

  private meterOf(key: string): { organizationId: string; externalSubscriptionId: string } {
    const subject = this.folder.subject(key);
    if (subject !== undefined) return subject;
    const [organizationId, externalSubscriptionId] = key.split('|').map(decodeURIComponent);
    return { organizationId: organizationId!, externalSubscriptionId: externalSubscriptionId! };
  }
}

/** Timestamp order, ties by transaction id: the order Lago's running totals are defined in. */
function byTimestamp(a: RecordedEvent, b: RecordedEvent): number {
  const x = a.data as IngestedUsageEvent;
  const y = b.data as IngestedUsageEvent;
  return Date.parse(x.timestamp) - Date.parse(y.timestamp) || (x.transactionId < y.transactionId ? -1 : x.transactionId > y.transactionId ? 1 : 0);
}
