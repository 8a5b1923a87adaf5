/** Every wait in the bench has a deadline and says what it was waiting for. */
export class TimeoutError extends Error {}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${(ms / 1000).toFixed(1)} s waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Polls `check` every `intervalMs` until it answers a value (not undefined); throws after `timeoutMs`. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new TimeoutError(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what()}`);
    await sleep(intervalMs);
  }
}
