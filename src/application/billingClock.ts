import type { App } from './app.ts';

/**
 * The billing clock: on every tick, applies what the clock has made due — pending subscriptions whose start or
 * downgrade date has passed, subscriptions past `endingAt` — then bills every invoice due (oldest first) and
 * finalizes drafts whose grace period ended. Ticks never overlap; each step is idempotent (an invoice's stream is
 * appended with "stream must not exist"), so two clocks running against the same log cannot double-apply anything.
 */
export async function billingStep(app: App, now: Date): Promise<number> {
  const changed = await app.subscriptions.activateDue(now);
  // Wallets first: one expiring at this instant pays no invoice of it; an interval top-up does.
  const wallets = await app.wallets.runDue(now);
  const { created, finalized } = await app.invoices.runDue(now);
  return changed + wallets + created + finalized;
}

export function startBillingClock(app: App, intervalMs: number): { tick(): Promise<number>; stop(): void } {
  let running: Promise<number> | null = null;
  const tick = async (): Promise<number> => {
    if (running) return running;
    running = billingStep(app, app.deps.clock.now())
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
