import { describe, expect, it } from 'vitest';
import { createLogger, isLogLevel, type LogLevel } from '../../../src/application/logger.ts';

const capture = (level: LogLevel) => {
  const lines: string[] = [];
  return { logger: createLogger(level, (line) => lines.push(line)), lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
};

describe('createLogger (pino)', () => {
  it('writes one JSON line per entry: level label, ISO time, msg, then the fields', () => {
    const { logger, lines, parsed } = capture('debug');
    logger.info('started', { port: 4000, nested: { a: [1] } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', msg: 'started', port: 4000, nested: { a: [1] } });
    expect(line!.time).toEqual(new Date(line!.time as string).toISOString());
  });

  it('drops the entries below its level; silent drops all', () => {
    const levels = (level: LogLevel) => {
      const { logger, parsed } = capture(level);
      logger.debug('d');
      logger.info('i');
      logger.warn('w', {});
      logger.error('e');
      return parsed().map((line) => line.level);
    };
    expect(levels('debug')).toEqual(['debug', 'info', 'warn', 'error']);
    expect(levels('warn')).toEqual(['warn', 'error']);
    expect(levels('silent')).toEqual([]);
  });

  it('redacts secrets under the usual names, at the top level and one object down', () => {
    const { logger, lines, parsed } = capture('info');
    logger.warn('careless', { authorization: 'Bearer bk_top', apiKey: 'bk_api', key: 'bk_key', headers: { authorization: 'Bearer bk_header' }, input: { apiKey: 'bk_input', name: 'kept' } });
    expect(lines.join('')).not.toMatch(/bk_/);
    expect(parsed()[0]).toMatchObject({ authorization: '[Redacted]', apiKey: '[Redacted]', key: '[Redacted]', headers: { authorization: '[Redacted]' }, input: { apiKey: '[Redacted]', name: 'kept' } });
  });

  it('writes to a stream when given one', () => {
    const chunks: string[] = [];
    createLogger('info', { write: (chunk: string) => void chunks.push(chunk) }).error('failed', { code: 1 });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(chunks[0]!)).toMatchObject({ level: 'error', msg: 'failed', code: 1 });
  });

  it('knows its levels', () => {
    expect(['debug', 'info', 'warn', 'error', 'silent'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('trace')).toBe(false);
  });
});
