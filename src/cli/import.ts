/**
 * `thrivestack import FILE`: streams a CSV or NDJSON file of wire-format group calls, validates every
 * row with the client's validator, and sends the valid ones in batches through `ThriveStack.group()`,
 * recording acknowledged lines in an optional checkpoint so an interrupted import resumes exactly.
 * Memory stays flat: rows are read as they are sent, with at most `concurrency` batches in flight.
 */
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from '../generated/constants.js';
import { ValidationError } from '../errors.js';
import { fromWireCall, wirePath } from '../from-wire.js';
import type { ValidationIssue } from '../validation-issue.js';
import { prepareCall } from '../validate.js';
import type { GroupCall } from '../types.js';
import { CONNECTION_OPTIONS, UsageError, helpText, integerOption, parseCommand, type CommandSpec } from './args.js';
import { Checkpoint, CheckpointError, fingerprintFile, type InputFingerprint } from './checkpoint.js';
import { apiKeyFrom, connectionOptions, createClient, oneLine } from './connection.js';
import { formatOf, openInput, type InputRow } from './input.js';
import type { CliIO } from './io.js';
import { Progress, newStats, summaryText, type Summary } from './progress.js';
import { readCsv } from './read-csv.js';
import { readNdjson } from './read-ndjson.js';
import { RejectsWriter } from './rejects.js';
import { BatchBuilder, RateGate, Sender } from './sender.js';

/** Retries per request for imports: enough to ride out a rate limit rather than fail. */
export const IMPORT_MAX_RETRIES = 10;
const DEFAULT_CONCURRENCY = 4;
/** Rejected rows also shown on stderr when they go to a --rejects file. */
const SHOWN_WITH_REJECTS_FILE = 10;

export const IMPORT_COMMAND: CommandSpec = {
  name: 'import',
  usage: 'thrivestack import FILE|- [options]',
  summary:
    'Sends every row of a CSV or NDJSON file as a group call: validated first, in batches of up to\n' +
    '1,000 calls / 2 MB, retried with backoff, slowing down when ThriveStack rate-limits.',
  positionals: { min: 1, max: 1, names: 'FILE (a .csv, .ndjson or .jsonl file, or - for stdin)' },
  options: {
    format: { type: 'string', value: 'csv|ndjson', description: 'the input format (default: from the extension; required for -)' },
    checkpoint: {
      type: 'string',
      value: 'FILE',
      description: 'record acknowledged rows in FILE; the same command resumes from it after an interruption',
    },
    rejects: { type: 'string', value: 'FILE', description: 'write every row not delivered to FILE, with its line and the reason' },
    'dry-run': { type: 'boolean', description: 'validate every row, send nothing, write no checkpoint (exit 1 if any row is invalid)' },
    concurrency: { type: 'string', value: 'N', description: `batches in flight at once (default ${DEFAULT_CONCURRENCY})` },
    'batch-size': { type: 'string', value: 'N', description: `calls per request, at most ${MAX_CALLS_PER_REQUEST} (default ${MAX_CALLS_PER_REQUEST})` },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on stderr' },
    ...CONNECTION_OPTIONS,
    'max-retries': { ...CONNECTION_OPTIONS['max-retries']!, description: `retries of a request after the first attempt (default ${IMPORT_MAX_RETRIES})` },
  },
  notes: `
Input:
  NDJSON  one wire-format call per line: {"group_id":..,"user_id":..,"traits":{..},"context":{..},"timestamp":..}
  CSV     a header row; columns group_id, user_id, timestamp, context.<key> (context.device_id,
          context.session_id, context.source, ...), and every other column a trait (traits.<name> also
          works). Empty cells are left out; reserved traits get their type (employees is a number),
          other cells are sent as text.

Rows that fail validation are reported with their line number and never sent. Progress goes to
stderr (a bar on a terminal, a line every 5 s otherwise); the summary to stdout (JSON with --json).

With --checkpoint, Ctrl-C stops reading, lets the requests in flight finish, saves the checkpoint and
exits; a second Ctrl-C abandons the requests in flight. Run the same command again to resume: rows
ThriveStack acknowledged are not sent again, every other row is. Invalid rows are reported again.

Exit status: 0 every valid row delivered, 1 some rows failed (or the import stopped), 2 usage error,
130 interrupted by Ctrl-C, 143 by SIGTERM (resume with the same command).`,
};

function issuesText(fromFile: ValidationIssue[], fromValidator: readonly ValidationIssue[]): string {
  const parts = [
    ...fromFile.map((i) => `${i.path.replace(/^\./, '') || 'row'}: ${i.message}`),
    ...fromValidator.map((i) => `${wirePath(i.path) || 'row'}: ${i.message}`),
  ];
  return parts.join('; ');
}

export type PreparedRow = { ok: true; call: GroupCall; bytes: number } | { ok: false; reason: string };

/**
 * One row read from the input → the camelCase call and its JSON size, validated by `prepareCall`
 * (the client's own validation, with the generated validator), or the reason it is rejected.
 */
export function prepareRow(row: InputRow): PreparedRow {
  if (row.error !== undefined) return { ok: false, reason: row.error };
  const fromFile: ValidationIssue[] = [];
  const call = fromWireCall(row.wire, '', fromFile);
  if (fromFile.some((issue) => issue.path === '')) return { ok: false, reason: issuesText(fromFile, []) };
  try {
    const { bytes } = prepareCall(call);
    if (fromFile.length === 0) return { ok: true, call, bytes };
    return { ok: false, reason: issuesText(fromFile, []) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { ok: false, reason: issuesText(fromFile, error.issues) };
  }
}

export async function runImport(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommand(IMPORT_COMMAND, argv);
  if (values.help) {
    io.stdout.write(helpText(IMPORT_COMMAND));
    return 0;
  }
  const file = positionals[0]!;
  const format = formatOf(file, values.format as string | undefined);
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;
  const quiet = values.quiet === true;
  const concurrency = integerOption('concurrency', values.concurrency as string | undefined, 1, 64) ?? DEFAULT_CONCURRENCY;
  const batchSize = integerOption('batch-size', values['batch-size'] as string | undefined, 1, MAX_CALLS_PER_REQUEST) ?? MAX_CALLS_PER_REQUEST;
  const input = openInput(file);

  let sender: Sender | undefined;
  let gate: RateGate | undefined;
  const stop = new AbortController();
  let stopReason: 'signal' | 'fatal' | undefined;
  let signalName: NodeJS.Signals | undefined;
  let fatalError: string | undefined;

  let rejects: RejectsWriter | undefined;
  const stats = newStats();
  const progress = new Progress({ stream: io.stderr, stats, totalBytes: input.size, bytesRead: input.bytesRead, quiet });
  let shown = 0;
  async function report(line: number, kind: 'rejected' | 'failed', reason: string, original: string | string[]): Promise<void> {
    if (rejects) await rejects.write(line, reason, original);
    const show = rejects ? !quiet && shown < SHOWN_WITH_REJECTS_FILE : true;
    if (show) progress.log(`line ${line}: ${kind}: ${reason}`);
    else if (rejects && !quiet && shown === SHOWN_WITH_REJECTS_FILE) progress.log(`(more rows not delivered: see ${rejects.path})`);
    shown++;
  }

  let checkpoint: Checkpoint | undefined;
  if (!dryRun) {
    const options = connectionOptions(values, { maxRetries: IMPORT_MAX_RETRIES });
    gate = new RateGate(concurrency);
    const client = createClient(apiKeyFrom(values, io.env), { ...options, fetch: gate.fetch });
    const checkpointPath = values.checkpoint as string | undefined;
    if (checkpointPath !== undefined) {
      const fingerprint: InputFingerprint =
        file === '-' ? { name: 'stdin', format, bytes: null, head: null } : await fingerprintFile(file, format);
      try {
        checkpoint = Checkpoint.open(checkpointPath, fingerprint);
      } catch (error) {
        if (error instanceof CheckpointError) throw new UsageError(error.message);
        throw new UsageError(`cannot write --checkpoint ${checkpointPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    sender = new Sender(
      client,
      gate,
      {
        acknowledged: (rows) => {
          stats.sent += rows.length;
          checkpoint?.acknowledge(rows[0]!.spanStart, rows[rows.length - 1]!.line, rows.length);
        },
        failed: async (rows, reason) => {
          stats.failed += rows.length;
          for (const row of rows) await report(row.line, 'failed', oneLine(reason), row.original);
        },
        fatal: (error) => {
          fatalError = oneLine(error.message);
          stopReason ??= 'fatal';
          stop.abort();
        },
      },
      stop.signal,
    );
  }
  if (values.rejects !== undefined) rejects = RejectsWriter.open(values.rejects as string, format);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      stopReason = 'signal';
      signalName = signal;
      stop.abort();
      progress.log(
        `thrivestack import: stopping: finishing ${sender?.inFlight ?? 0} request(s) in flight` +
          `${checkpoint ? ', then saving the checkpoint' : ''} (press Ctrl-C again to abandon them)`,
      );
    } else {
      signalName ??= signal;
      sender?.abandon('interrupted');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (checkpoint && checkpoint.acknowledgedRows > 0 && !quiet) {
    progress.log(
      `thrivestack import: resuming from ${checkpoint.path}: ${checkpoint.acknowledgedRows.toLocaleString('en-US')} row(s) already acknowledged`,
    );
  }
  progress.start();

  const stream = input.stream();
  const rows =
    format === 'csv'
      ? readCsv(stream, { onHeader: (cells) => rejects?.setHeader(cells), signal: stop.signal })
      : readNdjson(stream, stop.signal);
  const builder = new BatchBuilder(batchSize, MAX_REQUEST_BYTES);
  let readError: unknown;
  let finishedReading = false;
  try {
    for await (const row of rows) {
      if (stop.signal.aborted) break;
      stats.read++;
      const prepared = prepareRow(row);
      if (!prepared.ok) {
        stats.rejected++;
        await report(row.line, 'rejected', prepared.reason, row.original);
        continue;
      }
      if (checkpoint?.ranges.has(row.line)) {
        stats.skipped++;
        continue;
      }
      if (!sender) continue; // dry run
      const full = builder.add({ line: row.line, call: prepared.call, bytes: prepared.bytes, original: row.original });
      if (full && !(await sender.submit(full))) break;
    }
    // the readers end early, without an error, when `stop` fires
    finishedReading = !stop.signal.aborted;
    if (finishedReading && sender) {
      const last = builder.take();
      if (last) await sender.submit(last);
    }
  } catch (error) {
    readError = error;
    stop.abort();
  }
  await sender?.drain();
  progress.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await rejects?.close();

  if (readError instanceof UsageError) throw readError;
  if (readError !== undefined) fatalError ??= `cannot read ${file === '-' ? 'stdin' : file}: ${(readError as Error).message}`;

  const interrupted = stopReason === 'signal';
  let outcome: Summary['outcome'];
  let exitCode: number;
  if (interrupted) {
    outcome = 'interrupted';
    exitCode = signalName === 'SIGTERM' ? 143 : 130;
  } else if (fatalError !== undefined) {
    outcome = 'aborted';
    exitCode = 1;
  } else if (dryRun) {
    outcome = 'dry-run';
    exitCode = stats.rejected > 0 ? 1 : 0;
  } else if (stats.failed > 0) {
    outcome = 'failed';
    exitCode = 1;
  } else {
    outcome = 'complete';
    exitCode = 0;
    checkpoint?.markComplete();
  }
  const seconds = (Date.now() - stats.startedAt) / 1000;
  const summary: Summary = {
    ...stats,
    seconds,
    rowsPerSecond: seconds > 0 ? stats.sent / seconds : 0,
    outcome,
    exitCode,
    checkpoint: checkpoint?.path,
    rejectsFile: rejects?.path,
    acknowledgedInAllRuns: checkpoint?.acknowledgedRows,
    error: fatalError,
  };
  if (gate && gate.rateLimited > 0 && !quiet) {
    io.stderr.write(`thrivestack import: ThriveStack rate-limited ${gate.rateLimited} request(s); the import slowed down and retried them\n`);
  }
  if (json) {
    const { startedAt: _startedAt, ...rest } = summary;
    io.stdout.write(`${JSON.stringify({ ...rest, seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round(summary.rowsPerSecond) })}\n`);
  } else {
    io.stdout.write(summaryText(summary));
  }
  return exitCode;
}

