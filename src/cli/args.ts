/**
 * Command-line parsing (node:util parseArgs) and help text, from one description per command, so
 * that every option in `--help` is one the parser accepts and the other way round.
 */
import { parseArgs } from 'node:util';
import { nearestName } from '../option-check.js';

/** A mistake in how the command was called: exit 2, with one line saying what is wrong. */
export class UsageError extends Error {}

/** Longest user-typed string a message repeats; longer ones (an API key typed where an argument belongs) are not shown. */
const MAX_ECHO = 16;

/** A value the user typed, for a message: quoted when short and plain, else only its length. */
export function echo(text: string): string {
  if (text.length <= MAX_ECHO && !/[\x00-\x1f\x7f-\x9f]/.test(text)) return JSON.stringify(text);
  return `(a ${text.length}-character value, not shown)`;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--base-url URL`. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Help sections after the options. */
  notes?: string;
  positionals?: { min: number; max: number; names: string };
}

/** Options every command that talks to ThriveStack takes. */
export const CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  'api-key-file': {
    type: 'string',
    value: 'FILE',
    description: 'read the API key from FILE (default: the THRIVESTACK_API_KEY environment variable)',
  },
  'base-url': { type: 'string', value: 'URL', description: 'send to URL instead of https://api.app.thrivestack.ai (a mock or a proxy)' },
  timeout: { type: 'string', value: 'MS', description: 'per-attempt timeout in ms (default 10000)' },
  'max-retries': { type: 'string', value: 'N', description: 'retries of a request after the first attempt' },
  'min-retry-delay': { type: 'string', value: 'MS', description: 'backoff before the first retry, doubling each time (default 500)' },
  'max-retry-delay': { type: 'string', value: 'MS', description: 'cap of the backoff (default 8000)' },
  'max-retry-after': { type: 'string', value: 'MS', description: "cap of the server's Retry-After wait (default 60000)" },
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses `argv` for `spec`; throws `UsageError` with one line on anything it cannot accept. */
export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }, spec));
  }
  const values = parsed.values as Parsed['values'];
  if (values.help) return { values, positionals: parsed.positionals };
  // a value option given twice would silently keep the last one (`--group-id a --group-id b`)
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || spec.options[token.name]?.type !== 'string' || spec.options[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once; give it once`);
    seen.add(token.name);
  }
  const count = parsed.positionals.length;
  const allowed = spec.positionals ?? { min: 0, max: 0, names: '' };
  if (count < allowed.min) throw new UsageError(`missing ${allowed.names}`);
  if (count > allowed.max) {
    const extra = parsed.positionals[allowed.max]!;
    const hint = extra.length > MAX_ECHO ? ' (the API key goes in THRIVESTACK_API_KEY or --api-key-file, never on the command line)' : '';
    throw new UsageError(`unexpected argument ${echo(extra)}${hint}`);
  }
  return { values, positionals: parsed.positionals };
}

function describeParseError(error: Error & { code?: string }, spec: CommandSpec): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      if (option === undefined) return 'unknown option';
      const shown = option.length <= MAX_ECHO ? option : echo(option);
      // a slip (--traits for --trait, --batchsize for --batch-size): name the nearest option
      const near = option.startsWith('--') ? nearestName(option.slice(2).split('=')[0]!, Object.keys(spec.options)) : undefined;
      return near === undefined ? `unknown option ${shown}` : `unknown option ${shown}; did you mean --${near}?`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = /--([\w-]+)/.exec(error.message)?.[1];
      const takesValue = name !== undefined && spec.options[name]?.type === 'string';
      return takesValue ? `option --${name} needs a value` : `option --${name ?? '?'} takes no value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'unexpected argument';
    default:
      return error.message.split('\n')[0]!;
  }
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)) + 2);
  const lines = rows.map(([flag, text]) => (flag.length + 2 > width ? `  ${flag}\n  ${' '.repeat(width)}${text}` : `  ${flag.padEnd(width)}${text}`));
  return `Usage: ${spec.usage}\n\n${spec.summary}\n\nOptions:\n${lines.join('\n')}\n${spec.notes ? `\n${spec.notes.trim()}\n` : ''}`;
}

/** A whole number within bounds, from an option's text. */
export function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${echo(text)}`);
  }
  return value;
}
