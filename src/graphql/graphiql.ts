import type { GraphiQLOptions } from 'graphql-yoga';

/** What the Headers tab starts with: a placeholder to replace, never a real key. */
export const GRAPHIQL_HEADERS = JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2);

/**
 * GraphiQL at /graphql. It sends the Headers tab with every operation: as HTTP headers, and over websockets in
 * each subscribe message's `extensions.headers` (server.ts authenticates those).
 */
export const graphiqlOptions: GraphiQLOptions = {
  subscriptionsProtocol: 'WS',
  title: 'Billing engine',
  headers: GRAPHIQL_HEADERS,
  defaultHeaders: GRAPHIQL_HEADERS,
};

const pages = new Map<string, Promise<string>>();

/**
 * The page from `@graphql-yoga/render-graphiql`, whose script, styles, fonts and editor workers are inlined, so it
 * loads with no network but this server (Yoga's own page loads them from a CDN: offline, a blank page). Rendered
 * once per set of options: the page is about 9 MB.
 */
export function renderOfflineGraphiQL(options: GraphiQLOptions): Promise<string> {
  const key = JSON.stringify(options);
  let page = pages.get(key);
  // Loaded on the first page asked for: the module is a 9 MB string (~40 MB of RSS a server that never serves
  // GraphiQL would carry).
  if (page === undefined) pages.set(key, (page = import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options))));
  return page;
}
