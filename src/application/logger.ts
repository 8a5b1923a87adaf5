import { pino, type DestinationStream } from 'pino';

/**
 * Structured logger: one JSON line per entry (pino's: `level`, `time`, `msg`, then the fields), filtered by level.
 * The interface is the application's own, `(message, fields)`, so that nothing outside this file knows about pino.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/**
 * Fields whose values are secrets wherever they are logged, at the top level or one object down (`headers.authorization`,
 * `principal.apiKey`). Nothing logs them on purpose; this is the net under that rule.
 */
const SECRET_FIELDS = ['authorization', 'Authorization', 'apiKey', 'key', 'token', 'password', 'secret'];
export const REDACTED_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`), '*.headers.authorization', '*.headers["x-api-key"]'];

/** Where lines go: a stream (`write(line)`), or a function given each line without its newline (tests). */
export type LogDestination = DestinationStream | ((line: string) => void);

/** `destination` defaults to stderr, written synchronously: a line logged right before `process.exit` is not lost. */
export function createLogger(level: LogLevel, destination?: LogDestination): Logger {
  const stream: DestinationStream =
    destination === undefined ? pino.destination({ dest: 2, sync: true }) : typeof destination === 'function' ? { write: (line) => destination(line.endsWith('\n') ? line.slice(0, -1) : line) } : destination;
  const logger = pino(
    {
      level,
      // Labels (`"level":"info"`) rather than pino's numbers, and ISO instants: lines a person can read as they are.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    },
    stream,
  );
  const at = (method: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => (fields === undefined ? logger[method](message) : logger[method](fields, message));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
