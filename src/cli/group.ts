/** `thrivestack group`: one group call from the shell, through `ThriveStack.group()`. */
import { ThriveStackError, ValidationError, APIError } from '../errors.js';
import { wirePath } from '../from-wire.js';
import type { GroupCall } from '../types.js';
import type { ClientOptions } from '../options.js';
import { prepareCall } from '../validate.js';
import { hasOwn, setOwn } from '../wire.js';
import { redactorFor } from '../redact.js';
import { safeText } from '../safe-text.js';
import { CONNECTION_OPTIONS, UsageError, echo, helpText, parseCommand, type CommandSpec, type Parsed } from './args.js';
import { apiKeyFrom, cliText, connectionOptions, createClient } from './connection.js';
import type { CliIO } from './io.js';
import { typedTrait } from './reserved-traits.js';
import { issueInCliWords } from './issue-words.js';

/**
 * An eventId printed at most this long: above the library's own cap of server text (300 characters and
 * its "… (N more characters)"), so an id the library already cut is not cut a second time.
 */
const MAX_EVENT_ID_CHARS = 400;
/** An error message printed at most this long (the library's own words plus the server's, already capped). */
const MAX_MESSAGE_CHARS = 4_000;

export const GROUP_COMMAND: CommandSpec = {
  name: 'group',
  usage: 'thrivestack group --group-id ID --user-id ID [--trait NAME=VALUE ...] [options]',
  summary: 'Associates a user with an account: sends one group call and prints the eventId ThriveStack returns.',
  options: {
    'group-id': { type: 'string', value: 'ID', description: 'the account (group) id (required)' },
    'user-id': { type: 'string', value: 'ID', description: 'the user id (required)' },
    trait: {
      type: 'string',
      multiple: true,
      value: 'NAME=VALUE',
      description: 'an account trait; reserved traits get their type (employees=250 is a number)',
    },
    'traits-json': { type: 'string', value: 'JSON', description: 'traits as a JSON object, for typed custom traits' },
    source: { type: 'string', value: 'product|marketing', description: 'context.source' },
    'device-id': { type: 'string', value: 'ID', description: 'context.device_id' },
    'session-id': { type: 'string', value: 'ID', description: 'context.session_id' },
    context: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'any other context key' },
    timestamp: { type: 'string', value: 'ISO', description: 'when it happened, ISO 8601 (default: server time)' },
    ...CONNECTION_OPTIONS,
    'max-retries': { ...CONNECTION_OPTIONS['max-retries']!, description: 'retries of a request after the first attempt (default 3)' },
  },
  notes: `
The API key is read from THRIVESTACK_API_KEY or --api-key-file and never printed.
Prints the eventId (with --json: {"success":true,"eventId":...}). Exit status: 0 sent, 1 ThriveStack
refused or could not be reached, 2 usage error.

Example:
  thrivestack group --group-id acct_42 --user-id usr_7 --trait account_name="Acme Inc" \\
    --trait employees=250 --trait plan=enterprise --source product`,
};

function pairs(option: string, list: string[] | undefined): Array<[string, string]> {
  return (list ?? []).map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--${option} needs NAME=VALUE, got ${echo(item)}`);
    return [item.slice(0, at), item.slice(at + 1)];
  });
}

/** The traits of `--traits-json` and `--trait`, and the names that came from `--traits-json` (for messages). */
function traitsFrom(values: Record<string, unknown>): { traits: Record<string, unknown> | undefined; fromJson: ReadonlySet<string> } {
  let traits: Record<string, unknown> | undefined;
  const json = values['traits-json'] as string | undefined;
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--traits-json is not valid JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--traits-json must be a JSON object');
    traits = parsed as Record<string, unknown>;
  }
  const fromJson = new Set(Object.keys(traits ?? {}));
  const names = new Map([...fromJson].map((name) => [name.toLowerCase(), '--traits-json']));
  for (const [name, text] of pairs('trait', values.trait as string[] | undefined)) {
    const given = names.get(name.toLowerCase());
    if (given) throw new UsageError(`trait ${JSON.stringify(name)} is given twice (also in ${given}; trait names are case-insensitive)`);
    names.set(name.toLowerCase(), '--trait');
    traits ??= {};
    setOwn(traits, name, typedTrait(name, text));
  }
  return { traits, fromJson };
}

function contextFrom(values: Record<string, unknown>): GroupCall['context'] {
  // own keys only: `--context constructor=x` (or `__proto__`, `toString`) is a key like any other
  const context: Record<string, unknown> = {};
  const named: Array<[string, string]> = [
    ['device-id', 'deviceId'],
    ['session-id', 'sessionId'],
    ['source', 'source'],
  ];
  for (const [flag, key] of named) if (values[flag] !== undefined) setOwn(context, key, values[flag]);
  for (const [key, value] of pairs('context', values.context as string[] | undefined)) {
    if (hasOwn(context, key) || ['device_id', 'session_id', 'source', 'deviceId', 'sessionId'].includes(key)) {
      throw new UsageError(`--context ${key} is given twice or has its own option (--device-id, --session-id, --source)`);
    }
    setOwn(context, key, value);
  }
  return Object.keys(context).length ? (context as GroupCall['context']) : undefined;
}

/** A validation issue's path → the option that set it (`fromJson`: trait names `--traits-json` gave). */
function flagOf(path: string, fromJson: ReadonlySet<string>): string {
  const wire = wirePath(path);
  const simple: Record<string, string> = {
    group_id: '--group-id',
    user_id: '--user-id',
    timestamp: '--timestamp',
    'context.device_id': '--device-id',
    'context.session_id': '--session-id',
    'context.source': '--source',
  };
  if (simple[wire]) return simple[wire]!;
  if (wire.startsWith('traits.') || wire.startsWith('traits[')) {
    const name = wire.slice('traits'.length).replace(/^\./, '');
    return fromJson.has(name) ? `--traits-json ${name}` : `--trait ${name}`;
  }
  if (wire.startsWith('context.')) return `--context ${wire.slice('context.'.length)}`;
  return wire || 'the call';
}

export function usageFromValidation(error: ValidationError, fromJson: ReadonlySet<string> = new Set()): UsageError {
  return new UsageError(error.issues.map((issue) => `${flagOf(issue.path, fromJson)}: ${issueInCliWords(issue.message)}`).join('; '));
}

export async function runGroup(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommand(GROUP_COMMAND, argv);
  if (values.help) {
    io.stdout.write(helpText(GROUP_COMMAND));
    return 0;
  }
  for (const required of ['group-id', 'user-id']) {
    if (values[required] === undefined) throw new UsageError(`missing --${required}`);
  }
  const call: GroupCall = {
    groupId: values['group-id'] as string,
    userId: values['user-id'] as string,
  };
  const { traits, fromJson } = traitsFrom(values);
  if (traits) call.traits = traits;
  const context = contextFrom(values);
  if (context) call.context = context;
  if (values.timestamp !== undefined) call.timestamp = values.timestamp as string;
  try {
    prepareCall(call); // the client's own validation, before a key is needed
  } catch (error) {
    if (error instanceof ValidationError) throw usageFromValidation(error, fromJson);
    throw error;
  }
  const connection = connectionOptions(values, io.env);
  try {
    return await send(call, connection.options, values, io);
  } finally {
    connection.release(); // a proxy's tunnel that never answered must not keep the process alive
  }
}

async function send(call: GroupCall, options: ClientOptions, values: Parsed['values'], io: CliIO): Promise<number> {
  const apiKey = apiKeyFrom(values, io.env);
  const client = createClient(apiKey, options, (line) => io.stderr.write(`${line}\n`));
  // Everything printed that a server could have shaped is cleaned (escapes, controls) and redacted of
  // the key here, whatever the library did already: the terminal is the last line of defence.
  const redact = redactorFor(apiKey);
  try {
    const result = await client.group(call);
    const eventId = safeText(typeof result.eventId === 'string' ? result.eventId : String(result.eventId), redact, MAX_EVENT_ID_CHARS);
    // only the documented answer: extra fields of the server's body are never printed
    io.stdout.write(values.json ? `${JSON.stringify({ success: true, eventId })}\n` : `${eventId}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ThriveStackError)) throw error;
    const message = cliText(error.message, redact, MAX_MESSAGE_CHARS);
    if (values.json) {
      const status = error instanceof APIError ? error.status : undefined;
      io.stdout.write(`${JSON.stringify({ success: false, error: { type: safeText(error.name, redact), status, message } })}\n`);
    } else {
      io.stderr.write(`thrivestack group: ${message}\n`);
    }
    return 1;
  }
}
