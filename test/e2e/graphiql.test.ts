import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_EVENTS, callEvents, gql, kill9, meteredSubscriptions, startServer, type ServerProcess } from '../support/process.ts';

/**
 * Issue 16 item 9: GraphiQL at /graphql loads with no network but our server, and runs a subscription over
 * websockets with the key of its Headers tab, in headless Debian chromium.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SUBSCRIPTION = 'subscription { customerUsageUpdated(externalCustomerId: "cus_0", externalSubscriptionId: "sub_0") { chargesUsage { eventsCount } } }';

/** Fails (never skips) without the browser: the test is part of `npm test`. */
function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the GraphiQL test needs Debian's chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does when it is missing)`);
  }
}

/** A fresh profile each run (launchPersistentContext: Playwright's way to give chromium its user-data dir). */
const launch = (userDataDir: string) => chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS });

const isLocal = (url: URL) => ['data:', 'blob:', 'about:'].includes(url.protocol) || url.hostname === '127.0.0.1' || url.hostname === 'localhost';

/** What a Monaco editor shows (it renders spaces as no-break spaces). */
const textOf = async (editor: Locator) => (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');

/** Replaces an editor's content as a user does: select all, delete, type (`insert` pastes, for a long query). */
async function replaceText(page: Page, editor: Locator, text: string, how: 'type' | 'insert'): Promise<void> {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+KeyA');
  await page.keyboard.press('Backspace');
  // Typed key by key, Monaco's closing of brackets and quotes is overtyped; one inserted block would keep them.
  if (how === 'type') await page.keyboard.type(text);
  else await page.keyboard.insertText(text);
}

describe('GraphiQL in a browser with no network', () => {
  const dirs: string[] = [];
  let server: ServerProcess | undefined;
  let browser: BrowserContext | undefined;
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    if (server) await kill9(server);
    server = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('loads from our server alone, pre-fills the authorization header, and shows live pushes of a subscription run with the key', async () => {
    requireChromium();
    const dataDir = mkdtempSync(join(tmpdir(), 'billing-graphiql-'));
    const userDataDir = mkdtempSync(join(tmpdir(), 'billing-chromium-'));
    dirs.push(dataDir, userDataDir);
    server = await startServer(dataDir);
    const { port, key } = server;
    await meteredSubscriptions(port, key, 1);

    browser = await launch(userDataDir);
    const requested: string[] = [];
    const outside: string[] = [];
    // Every request leaving localhost is recorded and refused: the page must not need one.
    await browser.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      requested.push(url.href);
      if (isLocal(url)) return route.continue();
      outside.push(url.href);
      return route.abort('internetdisconnected');
    });
    browser.on('request', (request) => {
      if (!isLocal(new URL(request.url()))) outside.push(request.url());
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const frames: { sent: string[]; received: string[]; urls: string[] } = { sent: [], received: [], urls: [] };
    page.on('websocket', (socket) => {
      frames.urls.push(socket.url());
      socket.on('framesent', (frame) => frames.sent.push(String(frame.payload)));
      socket.on('framereceived', (frame) => frames.received.push(String(frame.payload)));
    });

    await page.goto(`http://127.0.0.1:${port}/graphql`);
    const operation = page.locator('.graphiql-query-editor .monaco-editor');
    await operation.waitFor({ state: 'visible', timeout: 30_000 });
    const headers = page.locator('.graphiql-editor-tool .monaco-editor[data-uri$="request-headers.json"]');
    await headers.waitFor({ state: 'visible', timeout: 10_000 });
    expect(JSON.parse(await textOf(headers))).toEqual({ Authorization: 'Bearer <your API key>' });

    // Run with the placeholder: a readable UNAUTHENTICATED error on the operation, and GraphiQL stops waiting.
    await replaceText(page, operation, SUBSCRIPTION, 'insert');
    expect(await textOf(operation)).toBe(SUBSCRIPTION);
    const execute = page.locator('.graphiql-execute-button');
    await execute.click();
    await expect.poll(() => frames.received.find((frame) => frame.includes('"type":"error"')), { timeout: 10_000 }).toContain('UNAUTHENTICATED');
    await expect.poll(() => execute.getAttribute('aria-label'), { timeout: 10_000 }).toMatch(/^Execute query/);

    // With the real key: the current usage first, then what an ingested batch changed, pushed.
    await replaceText(page, headers, JSON.stringify({ Authorization: `Bearer ${key}` }), 'type');
    expect(JSON.parse(await textOf(headers))).toEqual({ Authorization: `Bearer ${key}` });
    await execute.click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => textOf(response), { timeout: 15_000 }).toMatch(/"eventsCount": 0/);
    const ingested = await gql<{ createEvents: { acceptedCount: number } }>(port, key, CREATE_EVENTS, { events: callEvents('sub_0', 'graphiql', 3) });
    expect(ingested.data?.createEvents.acceptedCount).toBe(3);
    await expect.poll(() => textOf(response), { timeout: 15_000 }).toMatch(/"eventsCount": 3/);

    // The key travelled in the subscribe message (GraphiQL opens its socket with none), to our server only.
    expect(frames.urls.every((url) => url === `ws://127.0.0.1:${port}/graphql`)).toBe(true);
    expect(frames.sent.find((frame) => frame.includes('"type":"connection_init"'))).not.toContain(key);
    expect(frames.sent.some((frame) => frame.includes('"type":"subscribe"') && frame.includes(`Bearer ${key}`))).toBe(true);
    expect(requested).toContain(`http://127.0.0.1:${port}/graphql`);
    expect(outside).toEqual([]);
  }, 120_000);
});
