/**
 * `npm run test:server`: the KurrentDB and MongoDB contract suites and the end-to-end flow (test/server) against real
 * servers started with Testcontainers, the images pinned to docker-compose.yml's. Ends with `N passed, N failed`
 * like `npm test`; a skipped test counts as failed (nothing here may pass unrun). Without a reachable Docker engine
 * it says so and exits 1. `npm test` never runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { KurrentDbContainer, type StartedKurrentDbContainer } from '@testcontainers/kurrentdb';
import { MongoDBContainer, type StartedMongoDBContainer } from '@testcontainers/mongodb';
import { getContainerRuntimeClient } from 'testcontainers';

const CONFIG = 'vitest.server.config.ts';
/** Run one by one: the end-to-end test folds the whole log, so it runs first, on a log nothing else has written. */
const RUNS = [['test/server'], ['test/contract/eventStore.esdb.test.ts', 'test/contract/readModelStore.mongo.test.ts']];

type Report = { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: { status: string; message?: string }[] };
type Tally = { passed: number; failed: number; skipped: number };

/** The `image:` of a service in docker-compose.yml. */
function composeImage(compose: string, service: string): string {
  let current: string | null = null;
  for (const line of compose.split('\n')) {
    const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)?.[1];
    if (name !== undefined) current = name;
    const image = /^ {4}image:\s*(\S+)/.exec(line)?.[1];
    if (current === service && image !== undefined) return image;
  }
  throw new Error(`docker-compose.yml: no image for service "${service}"`);
}

function finish(tally: Tally, note = ''): never {
  console.log(`${tally.passed} passed, ${tally.failed + tally.skipped} failed${tally.skipped ? ` (${tally.skipped} skipped, counted as failed)` : ''}${note}`);
  process.exit(tally.failed + tally.skipped === 0 && tally.passed > 0 ? 0 : 1);
}

async function dockerReachable(): Promise<string | null> {
  try {
    await getContainerRuntimeClient();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** One vitest run over `files`, its counts read from its JSON report (a suite that fails to load counts as failed). */
function runVitest(files: string[], env: Record<string, string>, index: number): Tally {
  const report = `.vitest-server-report-${index}.json`;
  rmSync(report, { force: true });
  const args = ['run', '--config', CONFIG, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files];
  // This Node (the pinned 24, which node:sqlite needs), whatever `node` the PATH would give vitest's shebang.
  const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  if (!existsSync(report)) return { passed: 0, failed: 1, skipped: 0 };
  const result = JSON.parse(readFileSync(report, 'utf8')) as Report;
  rmSync(report, { force: true });
  const broken = result.testResults.filter((suite) => suite.status === 'failed' && (suite.message ?? '') !== '').length;
  const failed = result.numFailedTests + broken + (run.status !== 0 && result.numFailedTests + broken === 0 ? 1 : 0);
  return { passed: result.numPassedTests, failed, skipped: result.numPendingTests + result.numTodoTests };
}

async function main(): Promise<void> {
  const unreachable = await dockerReachable();
  if (unreachable !== null) {
    console.log(`test:server needs a Docker engine: none reachable (${unreachable}). Start Docker (or set DOCKER_HOST) and run it again; nothing was tested.`);
    finish({ passed: 0, failed: 1, skipped: 0 });
  }
  const compose = readFileSync('docker-compose.yml', 'utf8');
  let kurrent: StartedKurrentDbContainer | undefined;
  let mongo: StartedMongoDBContainer | undefined;
  const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  try {
    console.log('starting KurrentDB and a MongoDB replica set (Testcontainers)…');
    [kurrent, mongo] = await Promise.all([new KurrentDbContainer(composeImage(compose, 'eventstore')).start(), new MongoDBContainer(composeImage(compose, 'mongodb')).start()]);
    // The container's replica set names its member by the container's hostname, unknown here: connect to it directly.
    const env = { EVENTSTORE_URL: kurrent.getConnectionString(), MONGODB_URL: `${mongo.getConnectionString()}/?directConnection=true` };
    console.log(`EVENTSTORE_URL=${env.EVENTSTORE_URL} MONGODB_URL=${env.MONGODB_URL}`);
    RUNS.forEach((files, index) => {
      const run = runVitest(files, env, index);
      tally.passed += run.passed;
      tally.failed += run.failed;
      tally.skipped += run.skipped;
    });
  } catch (error) {
    console.error('test:server could not start its servers:', error);
    tally.failed += 1;
  } finally {
    await Promise.allSettled([kurrent?.stop(), mongo?.stop()]);
  }
  finish(tally);
}

await main();
