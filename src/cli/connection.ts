/** The `ThriveStack` client a command uses, built from the connection options and the environment. */
import { readFileSync } from 'node:fs';
import { ThriveStack } from '../client.js';
import { ConfigurationError } from '../errors.js';
import type { ClientOptions } from '../options.js';
import { isLogLevel, type Logger } from '../logger.js';
import { redactorFor, type Redactor } from '../redact.js';
import { safeText } from '../safe-text.js';
import { integerOption, UsageError, type Parsed } from './args.js';
import { proxyFetch } from './proxy.js';

/** The API key: from `--api-key-file` when given, else THRIVESTACK_API_KEY. Never printed. */
export function apiKeyFrom(values: Parsed['values'], env: NodeJS.ProcessEnv): string {
  const file = values['api-key-file'] as string | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      // the value is not echoed: it might be the key itself, given where a path belongs
      throw new UsageError(`cannot read the file given to --api-key-file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    const key = text.trim();
    if (key === '' || /\s/.test(key)) throw new UsageError('the file given to --api-key-file must hold the API key alone on one line');
    return key;
  }
  const key = env.THRIVESTACK_API_KEY?.trim();
  if (!key) throw new UsageError('no API key: set THRIVESTACK_API_KEY or pass --api-key-file FILE');
  return key;
}

/** The client options a command uses, and what to release when it ends. */
export interface Connection {
  options: ClientOptions;
  /** Closes the proxy's connections (`proxy.ts`), if any: called once the client is done. */
  release(): void;
}

/**
 * Client options from the connection flags (retry and timeout tuning), checked, and the `fetch` that
 * goes through the proxies the environment names (HTTPS_PROXY, HTTP_PROXY, NO_PROXY: `proxy.ts`).
 */
export function connectionOptions(values: Parsed['values'], env: NodeJS.ProcessEnv, defaults: { maxRetries?: number } = {}): Connection {
  const ms = (name: string, max = 3_600_000): number | undefined => integerOption(name, values[name] as string | undefined, 0, max);
  const timing = {
    timeout: ms('timeout'),
    maxRetries: integerOption('max-retries', values['max-retries'] as string | undefined, 0, 100) ?? defaults.maxRetries,
    minRetryDelay: ms('min-retry-delay'),
    maxRetryDelay: ms('max-retry-delay'),
    maxRetryAfter: ms('max-retry-after'),
  };
  const proxy = proxyFetch(env);
  // THRIVESTACK_LOG of the command's environment (the library would read the process's), as the library reads it
  const level = env.THRIVESTACK_LOG?.trim().toLowerCase();
  const options: ClientOptions = { baseUrl: values['base-url'] as string | undefined, ...timing, fetch: proxy?.fetch, logLevel: isLogLevel(level) ? level : undefined };
  for (const key of Object.keys(options) as Array<keyof ClientOptions>) if (options[key] === undefined) delete options[key];
  return { options, release: () => proxy?.destroy() };
}

/** The library's line for the rows waiting for room when an import stops: the import counts them itself. */
const WAITING_FOR_ROOM = /^thrivestack: close\(\): [\d,]+ calls? waiting in enqueueAsync\(\)/;
/** A debug line of one attempt: it shows the bodies as sent and answered, which are never rewritten. */
const ATTEMPT_LINE = /^thrivestack: POST \S+ → \d+ in \d+ ms \(attempt \d+ of \d+/;

/**
 * A library message (an error, a log line) as the command line shows it: in its words (`cliWords`), on
 * one line, then cleaned and redacted again, and cut at `max` characters. The library redacted it, but
 * a rewording that removes words could join a key a server wrote in two halves around them: the
 * redaction comes last, here, for every message the command line rewords.
 */
export function cliText(message: string, redact: Redactor, max: number): string {
  return safeText(oneLine(cliWords(message)), redact, max);
}

/**
 * The library's log lines (THRIVESTACK_LOG; `warn` and up by default), as `cliText`, through `write`
 * (the import's goes around its progress bar). One line is left out: the rows waiting for room when an
 * import stops, which its summary counts itself ("not sent (read as the import stopped)").
 */
function cliLogger(redact: Redactor, write: (line: string) => void): Logger {
  const line = (text: string): void => {
    if (WAITING_FOR_ROOM.test(text)) return;
    write(ATTEMPT_LINE.test(text) ? safeText(oneLine(text), redact, Infinity) : cliText(text, redact, Infinity));
  };
  return { debug: line, info: line, warn: line, error: line };
}

const toStderr = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * A client, or a `UsageError` for options the client refuses (an http:// URL that is not local...).
 * Its log lines go to `log` (stderr by default).
 */
export function createClient(apiKey: string, options: ClientOptions, log: (line: string) => void = toStderr): ThriveStack {
  const redact = redactorFor(apiKey);
  try {
    return new ThriveStack({ logger: cliLogger(redact, log), ...options, apiKey });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      // The library's advice names its options; the command line has only --base-url (https:// or loopback).
      const advice = error.message.replace(/, or pass `allowInsecureHttp: true`[\s\S]*$/, ' (or http:// to a loopback host, e.g. a local mock).');
      throw new UsageError(cliText(advice, redact, Infinity));
    }
    throw error;
  }
}

/** Library options a message may name, and what the command line has for each. */
const FLAGS: Record<string, string> = {
  baseUrl: '--base-url',
  maxRetries: '--max-retries',
  timeout: '--timeout',
  minRetryDelay: '--min-retry-delay',
  maxRetryDelay: '--max-retry-delay',
  maxRetryAfter: '--max-retry-after',
  apiKey: 'THRIVESTACK_API_KEY (or --api-key-file)',
};

/**
 * A library message in the command line's words: options become the flags (or variable) that set
 * them; the constructor, the queue's hooks and `enqueue()` (which the command line has no way to use)
 * are left out; a failure through a proxy (`proxy.ts`) is checked there, not only at --base-url.
 */
export function cliWords(message: string): string {
  return message
    .replace(/^Invalid option of new ThriveStack\(\): /, '')
    .replace(/^Invalid options of new ThriveStack\(\) \((\d+) problems\):/, '$1 problems:')
    .replace(/ \(keep them, e\.g\. from the queue's onError hook\)/g, '')
    .replace(/, raise `maxRetries`, or use `enqueue\(\)`, which batches calls and backs off for you/g, ', or raise `maxRetries`')
    .replace(/(the proxy in (HTTPS?_PROXY|https?_proxy) (?:answered|refused)[\s\S]*)Check the network and `baseUrl`/, '$1Check $2') // the proxy said no
    .replace(/(the proxy in (HTTPS?_PROXY|https?_proxy)[\s\S]*)Check the network and `baseUrl`/, '$1Check $2, the network and `baseUrl`')
    .replace(/`apiKey` or THRIVESTACK_API_KEY/g, '`apiKey`') // the variable is what `apiKey` becomes, below
    .replace(/`(baseUrl|maxRetries|timeout|minRetryDelay|maxRetryDelay|maxRetryAfter|apiKey)`/g, (_, name: string) => FLAGS[name]!)
    .replace(/\b(baseUrl|maxRetries|minRetryDelay|maxRetryDelay|maxRetryAfter|apiKey)\b/g, (_, name: string) => FLAGS[name]!);
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
