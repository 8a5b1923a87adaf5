/**
 * `npm test`: typecheck, run every vitest suite, and end with the line `N passed, N failed`
 * counted from vitest's JSON report (CI reads that line, not vitest's own summary).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
const bin = (name: string) => `node_modules/.bin/${name}`;

const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.log('typecheck failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

rmSync(report, { force: true });
const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync(bin('vitest'), args, { stdio: 'inherit' });

if (!existsSync(report)) {
  console.log('vitest produced no report');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const result = JSON.parse(readFileSync(report, 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { status: string; message?: string }[];
};
// A suite that fails to load has no failed *tests*; count it as a failure so it cannot pass silently.
const brokenSuites = result.testResults.filter((s) => s.status === 'failed' && (s.message ?? '') !== '').length;
const failed = result.numFailedTests + brokenSuites;
const skipped = result.numPendingTests + result.numTodoTests;
console.log(`${result.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
