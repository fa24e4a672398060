/**
 * The client's log lines: a level (`logLevel`, default from THRIVESTACK_LOG, else `warn`) and a sink
 * (`logger`, any object with debug/info/warn/error: console, pino, winston). Every line is redacted
 * before it leaves, and a logger that throws never changes what the client does.
 *
 * Without a `logger`, lines go to stderr (console.warn / console.error), never to stdout, so that they
 * never mix with a program's own output.
 */
import type { Redactor } from './redact.js';
import { environment } from './runtime.js';

export const LOG_LEVELS = ['off', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Any object with these four methods: `console`, pino, winston, ... */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the client's modules write through: already filtered by level, redacted, never throwing. */
export interface Log {
  readonly level: LogLevel;
  /** Whether a line at `level` would be written (to skip building lines nobody sees). */
  enabled(level: Exclude<LogLevel, 'off'>): boolean;
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

const RANK: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };
const PREFIX = 'thrivestack: ';

export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** THRIVESTACK_LOG, when set to a level name (any case); otherwise undefined. */
export function environmentLogLevel(): LogLevel | undefined {
  const raw = environment('THRIVESTACK_LOG')?.trim().toLowerCase();
  return isLogLevel(raw) ? raw : undefined;
}

/** stderr in Node (console.warn and console.error both write there); the console elsewhere. */
const stderrLogger: Logger = {
  debug: (message) => console.warn(message),
  info: (message) => console.warn(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

export function createLog(options: { logLevel?: LogLevel | undefined; logger?: Logger | undefined }, redact: Redactor): Log {
  const level = options.logLevel ?? environmentLogLevel() ?? DEFAULT_LOG_LEVEL;
  const sink = options.logger ?? stderrLogger;
  const rank = RANK[level];
  const write = (at: Exclude<LogLevel, 'off'>) => (line: string): void => {
    if (RANK[at] > rank) return;
    try {
      sink[at](PREFIX + redact(line));
    } catch {
      // a logger that throws must not turn a delivered call into a failed one
    }
  };
  return {
    level,
    enabled: (at) => RANK[at] <= rank,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
