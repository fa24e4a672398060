/** The `ThriveStack` client a command uses, built from the connection options and the environment. */
import { readFileSync } from 'node:fs';
import { ThriveStack } from '../client.js';
import { ConfigurationError } from '../errors.js';
import type { ClientOptions } from '../options.js';
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

/**
 * Client options from the connection flags (retry and timeout tuning), checked, and the `fetch` that
 * goes through the proxies the environment names (HTTPS_PROXY, HTTP_PROXY, NO_PROXY: `proxy.ts`).
 */
export function connectionOptions(values: Parsed['values'], env: NodeJS.ProcessEnv, defaults: { maxRetries?: number } = {}): ClientOptions {
  const ms = (name: string, max = 3_600_000): number | undefined => integerOption(name, values[name] as string | undefined, 0, max);
  const options: ClientOptions = {
    baseUrl: values['base-url'] as string | undefined,
    timeout: ms('timeout'),
    maxRetries: integerOption('max-retries', values['max-retries'] as string | undefined, 0, 100) ?? defaults.maxRetries,
    minRetryDelay: ms('min-retry-delay'),
    maxRetryDelay: ms('max-retry-delay'),
    maxRetryAfter: ms('max-retry-after'),
    fetch: proxyFetch(env),
  };
  for (const key of Object.keys(options) as Array<keyof ClientOptions>) if (options[key] === undefined) delete options[key];
  return options;
}

/** A client, or a `UsageError` for options the client refuses (an http:// URL that is not local...). */
export function createClient(apiKey: string, options: ClientOptions): ThriveStack {
  try {
    return new ThriveStack({ ...options, apiKey });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      // The library's advice names its options; the command line has only --base-url (https:// or loopback).
      const message = cliWords(
        error.message.replace(/, or pass `allowInsecureHttp: true`[\s\S]*$/, ' (or http:// to a loopback host, e.g. a local mock).'),
      );
      throw new UsageError(oneLine(message));
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

/** A library message in the command line's words: options become the flags (or variable) that set them. */
export function cliWords(message: string): string {
  return message
    .replace(/`(baseUrl|maxRetries|timeout|minRetryDelay|maxRetryDelay|maxRetryAfter|apiKey)`/g, (_, name: string) => FLAGS[name]!)
    .replace(/\b(baseUrl|maxRetries|minRetryDelay|maxRetryDelay|maxRetryAfter|apiKey)\b/g, (_, name: string) => FLAGS[name]!);
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
