import type { App } from './app.ts';

/**
 * The billing clock: on every tick, applies what the clock has made due — pending subscriptions whose start or
 * downgrade date has passed, subscriptions past `endingAt`. Ticks never overlap; each step is an idempotent
 * command, so two clocks running against the same log cannot double-apply anything.
 */
export function startBillingClock(app: App, intervalMs: number): { tick(): Promise<number>; stop(): void } {
  let running: Promise<number> | null = null;
  const tick = async (): Promise<number> => {
    if (running) return running;
    running = app.subscriptions
      .activateDue(app.deps.clock.now())
      .catch((error: unknown) => {
        app.deps.logger.error('billing clock tick failed', { error: String(error) });
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
