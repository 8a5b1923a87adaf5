import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, Kind, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../application/logger.ts';

/** The header a request id comes in and goes back out in. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** A client's id is kept when it is a plain token; anything else (a log-injection attempt, a blob) is replaced. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Root fields named in a line, at most (a document may select hundreds: the line stays short). */
const MAX_FIELDS = 10;

interface RequestRecord {
  id: string;
  started: number;
  operationName: string | null;
  operation: string | null;
  fields: string[];
  organizationId: string | null;
  errorCodes: Set<string>;
}

const records = new WeakMap<IncomingMessage, RequestRecord>();
const recordOf = (req: IncomingMessage | undefined) => (req === undefined ? undefined : records.get(req));

/** The id a request gets: the client's `x-request-id` when it is a sane token, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
}

/**
 * Starts a request's record: its id goes into the response's `x-request-id` header at once (so every answer has it,
 * errors and 429s included), and one line is logged when the response is done (or the client went away).
 */
export function beginRequest(req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  const record: RequestRecord = { id: requestIdFrom(req.headers[REQUEST_ID_HEADER]), started: performance.now(), operationName: null, operation: null, fields: [], organizationId: null, errorCodes: new Set() };
  records.set(req, record);
  res.setHeader(REQUEST_ID_HEADER, record.id);
  res.once('close', () => logger.info('request', lineOf(record, req, res)));
}

/**
 * The correlation id of the events an operation appends: its HTTP request's id; a websocket operation (whose
 * upgrade request has no record) gets one of its own.
 */
export function requestIdOf(req: IncomingMessage | undefined): string {
  return recordOf(req)?.id ?? randomUUID();
}

/** Error codes of an answer written outside Yoga (404, 413, 429). */
export function noteErrorCode(req: IncomingMessage, code: string): void {
  records.get(req)?.errorCodes.add(code);
}

// Variables, the query text and headers are never logged: they may hold keys and customer data.
function lineOf(record: RequestRecord, req: IncomingMessage, res: ServerResponse): Record<string, unknown> {
  return {
    requestId: record.id,
    method: req.method,
    operation: record.operation,
    operationName: record.operationName,
    fields: record.fields,
    organizationId: record.organizationId,
    status: res.statusCode,
    durationMs: Math.round((performance.now() - record.started) * 100) / 100,
    ...(record.errorCodes.size > 0 ? { errorCodes: [...record.errorCodes] } : {}),
    ...(res.writableFinished ? {} : { aborted: true }),
  };
}

type ExecutionContext = { req?: IncomingMessage; params?: { operationName?: string | null }; principal?: { organizationId: string | null } };

function noteOperation(context: ExecutionContext, document: DocumentNode): void {
  const record = recordOf(context.req);
  if (record === undefined) return;
  const operation = getOperationAST(document, context.params?.operationName);
  record.operation = operation?.operation ?? null;
  record.operationName = context.params?.operationName ?? operation?.name?.value ?? null;
  record.fields = (operation?.selectionSet.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])).slice(0, MAX_FIELDS);
}

function noteOrganization(context: ExecutionContext): void {
  const record = recordOf(context.req);
  if (record !== undefined) record.organizationId = context.principal?.organizationId ?? null;
}

function noteCodes(record: RequestRecord, result: unknown): void {
  for (const one of Array.isArray(result) ? result : [result]) {
    const errors = (one as { errors?: readonly { extensions?: { code?: unknown } }[] } | null)?.errors;
    for (const error of errors ?? []) if (typeof error.extensions?.code === 'string') record.errorCodes.add(error.extensions.code);
  }
}

/** Fills a request's record from Yoga: the operation (once parsed), the caller's organization, the answer's error codes. */
export function useRequestLog(): Plugin {
  return {
    onParams({ params, context }) {
      const record = recordOf((context as ExecutionContext).req);
      if (record !== undefined && typeof params.operationName === 'string') record.operationName = params.operationName;
    },
    onParse: ({ context }) => ({ result }) => {
      if ((result as DocumentNode | null)?.kind === Kind.DOCUMENT) noteOperation(context as ExecutionContext, result as DocumentNode);
    },
    onContextBuilding: () => ({ context }) => noteOrganization(context as ExecutionContext),
    onResultProcess({ result, serverContext }) {
      const record = recordOf((serverContext as ExecutionContext).req);
      if (record !== undefined) noteCodes(record, result);
    },
  };
}
