import { describe, expect, it } from 'vitest';
import { walSyncer, type SyncFiles, type SyncHandle } from '../../../src/infrastructure/sqlite/database.ts';

/** A file system whose WAL datasyncs finish only when the test says so. */
function heldFiles() {
  const pending: (() => void)[] = [];
  const opened: string[] = [];
  let datasyncs = 0;
  let directorySyncs = 0;
  const inode = 1;
  const handle = (ino: number): SyncHandle => ({
    datasync: () => {
      datasyncs += 1;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    sync: async () => {
      directorySyncs += 1;
    },
    stat: async () => ({ ino }),
    close: async () => {},
  });
  const files: SyncFiles = {
    open: async (path) => (opened.push(path), handle(inode)),
    stat: async () => ({ ino: inode }),
  };
  return {
    files,
    opened,
    datasyncs: () => datasyncs,
    directorySyncs: () => directorySyncs,
    /** Lets the oldest datasync under way finish. */
    finish: async () => {
      await settle();
      pending.shift()!();
      await settle();
    },
  };
}

const settle = async () => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

const tracked = (promise: Promise<void>) => {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
};

describe('walSyncer: appends acknowledged only after an fdatasync that started after them', () => {
  it('shares one fsync among the calls made while another runs, and never answers a call with an earlier fsync', async () => {
    const fs = heldFiles();
    const sync = walSyncer('/data/billing.db', fs.files);
    const first = tracked(sync());
    await settle();
    expect(fs.datasyncs()).toBe(1);
    // Commits made while the first fsync runs: it may not cover them.
    const second = tracked(sync());
    const third = tracked(sync());
    await settle();
    expect(fs.datasyncs()).toBe(1);
    await fs.finish();
    expect(first.done).toBe(true);
    expect(second.done).toBe(false);
    expect(third.done).toBe(false);
    // One more fsync for both of them.
    expect(fs.datasyncs()).toBe(2);
    await fs.finish();
    expect(second.done && third.done).toBe(true);
    expect(fs.datasyncs()).toBe(2);
    // The WAL's directory entry is synced once; the WAL stays open.
    expect(fs.directorySyncs()).toBe(1);
    expect(fs.opened).toEqual(['/data/billing.db-wal', '/data']);
  });

  it('fsyncs again for a call made after the last one finished', async () => {
    const fs = heldFiles();
    const sync = walSyncer('/data/billing.db', fs.files);
    const a = tracked(sync());
    await fs.finish();
    expect(a.done).toBe(true);
    const b = tracked(sync());
    await settle();
    expect(fs.datasyncs()).toBe(2);
    expect(b.done).toBe(false);
    await fs.finish();
    expect(b.done).toBe(true);
  });
});
