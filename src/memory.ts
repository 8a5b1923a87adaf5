/**
 * Imported first by every entry point. Under a high allocation rate (ingestion parses, folds decode) V8 lets a heap
 * grow to several times what is live before collecting it; with two isolates (the API thread and the projection
 * thread) that is most of the process's memory. A heap may grow to 1.5× its live size here (V8's
 * `--heap-growing-percent`, a soft bound: it never fails an allocation), which halves the peak RSS measured by the
 * benchmark for a few per cent of throughput. `HEAP_GROWING_PERCENT` overrides it; 0 leaves V8's own heuristics.
 */
import { setFlagsFromString } from 'node:v8';

const setting = process.env.HEAP_GROWING_PERCENT ?? '';
const percent = setting === '' ? 50 : Number(setting);
if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
  throw new Error(`configuration: HEAP_GROWING_PERCENT: expected an integer from 0 to 1000, got "${setting}"`);
}
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => flag.startsWith('--heap-growing-percent'));
if (!given && percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
