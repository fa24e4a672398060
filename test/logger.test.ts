/** The log: levels, THRIVESTACK_LOG, any logger object, redaction, and a logger that throws. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLog, environmentLogLevel, type Logger } from '../src/logger.js';
import { redactorFor } from '../src/redact.js';

function recorder() {
  const lines: Array<[string, string]> = [];
  const logger: Logger = {
    debug: (m) => lines.push(['debug', m]),
    info: (m) => lines.push(['info', m]),
    warn: (m) => lines.push(['warn', m]),
    error: (m) => lines.push(['error', m]),
  };
  return { lines, logger };
}

const writeAll = (log: ReturnType<typeof createLog>): void => {
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('createLog', () => {
  it.each([
    ['off', []],
    ['error', ['error']],
    ['warn', ['warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['debug', ['debug', 'info', 'warn', 'error']],
  ] as const)('at %s writes %o', (logLevel, levels) => {
    const { lines, logger } = recorder();
    const log = createLog({ logLevel, logger }, (t) => t);
    writeAll(log);
    expect(lines.map(([level]) => level)).toEqual(levels);
    expect(log.enabled('debug')).toBe(logLevel === 'debug');
  });

  it('defaults to warn, or to THRIVESTACK_LOG (any case) when set', () => {
    vi.stubEnv('THRIVESTACK_LOG', '');
    expect(createLog({}, (t) => t).level).toBe('warn');
    vi.stubEnv('THRIVESTACK_LOG', ' DEBUG ');
    expect(environmentLogLevel()).toBe('debug');
    expect(createLog({}, (t) => t).level).toBe('debug');
    vi.stubEnv('THRIVESTACK_LOG', 'loud'); // not a level: the default, never a crash at start-up
    expect(createLog({}, (t) => t).level).toBe('warn');
  });

  it('an explicit logLevel wins over THRIVESTACK_LOG', () => {
    vi.stubEnv('THRIVESTACK_LOG', 'debug');
    expect(createLog({ logLevel: 'error' }, (t) => t).level).toBe('error');
  });

  it('prefixes every line and redacts the key in it', () => {
    const { lines, logger } = recorder();
    const log = createLog({ logLevel: 'debug', logger }, redactorFor('sk_canary'));
    log.warn('server said: bad key sk_canary');
    expect(lines).toEqual([['warn', 'thrivestack: server said: bad key [REDACTED]']]);
  });

  it('a logger that throws changes nothing', () => {
    const logger = { debug: () => {}, info: () => {}, warn: () => { throw new Error('disk full'); }, error: () => {} };
    const log = createLog({ logLevel: 'debug', logger }, (t) => t);
    expect(() => log.warn('x')).not.toThrow();
  });

  it('without a logger, writes to stderr (console.warn / console.error), never stdout', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    writeAll(createLog({ logLevel: 'debug' }, (t) => t));
    expect(warn.mock.calls.map((c) => c[0])).toEqual(['thrivestack: d', 'thrivestack: i', 'thrivestack: w']);
    expect(error.mock.calls.map((c) => c[0])).toEqual(['thrivestack: e']);
    expect(log).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
    expect(debug).not.toHaveBeenCalled();
  });
});
