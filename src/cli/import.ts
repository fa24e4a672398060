/**
 * `thrivestack import FILE`: streams a CSV or NDJSON file of wire-format group calls, validates every
 * row with the client's validator, and sends the valid ones in batches through `ThriveStack.group()`,
 * recording acknowledged lines in an optional checkpoint so an interrupted import resumes exactly.
 * Memory stays flat: rows are read as they are sent, with at most `concurrency` batches in flight,
 * and the rows handed to the client and not settled are bounded in rows and in bytes (`ByteBudget`).
 */
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from '../generated/constants.js';
import { AuthenticationError, BadRequestError, QueueError, ValidationError } from '../errors.js';
import type { ThriveStack } from '../client.js';
import type { DeliveryFailure } from '../queue-options.js';
import { fromWireCall, wirePath } from '../from-wire.js';
import type { ValidationIssue } from '../validation-issue.js';
import { callTooLarge, fitsOneRequest, prepareCall, type PreparedCall } from '../validate.js';
import { enqueuePrepared } from '../client.js';
import { CONNECTION_OPTIONS, UsageError, helpText, integerOption, parseCommand, type CommandSpec } from './args.js';
import { Checkpoint, CheckpointError, checkpointIdentity, damageText, rowKey, type AppendIO } from './checkpoint.js';
import { CheckpointLock } from './lock.js';
import { assertUsableCheckpoint, checkpointFile } from './checkpoint-file.js';
import { NESTING_REASON } from './nesting.js';
import { apiKeyFrom, cliText, connectionOptions, createClient, oneLine } from './connection.js';
import { redactorFor, type Redactor } from '../redact.js';
import { formatOf, openInput, type InputRow } from './input.js';
import type { CliIO } from './io.js';
import { assertDistinct, type NamedPath } from './paths.js';
import { Progress, newStats, plural, summaryText, type Summary } from './progress.js';
import { RateGate } from './rate-gate.js';
import { ByteBudget } from './byte-budget.js';
import { readCsv } from './read-csv.js';
import { readNdjson } from './read-ndjson.js';
import { NDJSON_ROWS_COMMAND, RejectsWriter } from './rejects.js';
import { issueInCliWords } from './issue-words.js';
import { safeText } from '../safe-text.js';

/** Text from the input is not a secret: safeText only strips what could drive a terminal. */
const noRedaction = (text: string): string => text;

/** Retries per request for imports: enough to ride out a rate limit rather than fail. */
export const IMPORT_MAX_RETRIES = 10;
const DEFAULT_CONCURRENCY = 4;
/** Rejected rows also shown on stderr when they go to a --rejects file. */
const SHOWN_WITH_REJECTS_FILE = 10;
/**
 * Bytes of rows handed to the client and not settled, per request allowed in flight: a full request
 * (2 MB) in flight and the next one ready behind it. Rows of 400 KB would otherwise fill the queue's
 * 2 x concurrency x batch-size rows (gigabytes); small rows never reach this before the row bound.
 */
const BUDGET_REQUESTS_PER_SLOT = 2;
/** Batches that failed in a row, after all their retries, before the import gives up. */
const MAX_CONSECUTIVE_FAILURES = 3;

/** Exit statuses (documented in --help and the README). */
export const EXIT = { ok: 0, failed: 1, usage: 2, rejected: 3, interrupted: 130, terminated: 143 } as const;

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
    'dry-run': { type: 'boolean', description: 'validate every row, send nothing, write no checkpoint (exit 3 if any row is invalid)' },
    concurrency: { type: 'string', value: 'N', description: `batches in flight at once (default ${DEFAULT_CONCURRENCY})` },
    'batch-size': { type: 'string', value: 'N', description: `calls per request, at most ${MAX_CALLS_PER_REQUEST} (default ${MAX_CALLS_PER_REQUEST})` },
    'no-trim': { type: 'boolean', description: 'keep leading and trailing spaces of CSV values (default: trimmed)' },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on stderr' },
    ...CONNECTION_OPTIONS,
    'max-retries': { ...CONNECTION_OPTIONS['max-retries']!, description: `retries of a request after the first attempt (default ${IMPORT_MAX_RETRIES})` },
  },
  notes: `
Input:
  NDJSON  one wire-format call per line: {"group_id":..,"user_id":..,"traits":{..},"context":{..},"timestamp":..}
  CSV     a header row; columns group_id, user_id, timestamp, context.<key> (context.device_id,
          context.session_id, context.source, ...), and every other column a trait (traits.<name> also
          works). Values are trimmed of leading and trailing spaces (--no-trim keeps them); empty cells
          are left out; reserved traits get their type (employees is a number), other cells are text.

Rows that fail validation, rows over the 2 MB request limit, rows nested more than 100 levels deep
below a field, rows not valid UTF-8 and CSV rows with a quote inside an unquoted field are rejected
with their line number and never sent. Progress goes to stderr (a line redrawn on a terminal, a line
every 5 s otherwise); the summary to stdout (JSON with --json).

With --checkpoint, every row ThriveStack acknowledges is recorded by its content. Run the same command
again (also after kill -9) to resume: a row is skipped only when the very same call was acknowledged
before; every other row is sent. Rows in flight at a kill are sent again: at most
2 x concurrency x batch-size rows (concurrency x batch-size + 100 when that is more). A checkpoint
belongs to the API (--base-url) and key that acknowledged its rows: used with another, it is refused.
One import at a time uses it (FILE.lock): a lock whose import is provably gone (this machine and
container) is taken over; one held on another host or in another container is not (delete FILE.lock
yourself once that import is gone). Ctrl-C or SIGTERM stops reading, lets the requests in flight
finish, saves the checkpoint and exits; a second one abandons the requests in flight.

Memory stays flat: rows are read as they are sent, at most 2 x concurrency x batch-size rows and
2 x concurrency x 2 MB of them held at once. HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured.

Exit status: 0 every row delivered (dry run: every row valid), 1 some rows failed or the import
stopped, 2 usage error (nothing sent), 3 some rows rejected as invalid and every valid row delivered
(dry run: some rows invalid), 130 interrupted by Ctrl-C, 143 by SIGTERM (resume with the same command).`,
};

function issuesText(fromFile: ValidationIssue[], fromValidator: readonly ValidationIssue[]): string {
  const parts = [
    ...fromFile.map((i) => `${i.path.replace(/^\./, '') || 'row'}: ${issueInCliWords(i.message)}`),
    ...fromValidator.map((i) => `${wirePath(i.path) || 'row'}: ${issueInCliWords(i.message)}`),
  ];
  return parts.join('; ');
}

export type PreparedRow = { ok: true; prepared: PreparedCall; bytes: number } | { ok: false; reason: string };

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
    const prepared = prepareCall(call);
    if (fromFile.length > 0) return { ok: false, reason: issuesText(fromFile, []) };
    // Node's native count: the CLI runs on Node only, and this runs once per row
    const bytes = Buffer.byteLength(prepared.json);
    // a row read under the limit can still serialize past it (escapes: a cell of 1.5 MB of `\` is 3 MB
    // of JSON): rejected here, alone, with the message the queue would give, never thrown by the queue
    if (!fitsOneRequest(bytes)) return { ok: false, reason: issuesText([], [callTooLarge(bytes)]) };
    return { ok: true, prepared, bytes };
  } catch (error) {
    // a value too deep for the validator's recursion is this row's problem, not the import's
    if (error instanceof RangeError) return { ok: false, reason: NESTING_REASON };
    if (!(error instanceof ValidationError)) throw error;
    return { ok: false, reason: issuesText(fromFile, error.issues) };
  }
}

/** What the importer tags each queued row with: it comes back with the row's outcome. */
interface RowTag {
  line: number;
  key: bigint | undefined;
  original: string | string[];
  /** Its JSON's bytes, counted in the byte budget until it settles. */
  bytes: number;
}

/** The rejects file's reason for a row queued or in flight when the import stopped, and for one read but never queued. */
const ABANDONED_REASON =
  'not acknowledged: queued or in flight when the import stopped (if it was in flight, ThriveStack may have recorded it: sending it again may duplicate it)';
const UNSENT_REASON = 'not sent: read as the import stopped, never queued';

/** Reasons in the rejects file and on stderr stay short whatever produced them. */
const MAX_REASON_CHARS = 1_000;
const shortReason = (reason: string, redact: Redactor): string => safeText(oneLine(reason), redact, MAX_REASON_CHARS);

/** What a test may replace in an import (the process's own in a real run). */
export interface ImportSeams {
  /** How checkpoint records reach the disk (a test stalls or fails it). */
  checkpointIO?: AppendIO;
}

export async function runImport(argv: string[], io: CliIO, seams: ImportSeams = {}): Promise<number> {
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
  const trim = values['no-trim'] !== true;
  const concurrency = integerOption('concurrency', values.concurrency as string | undefined, 1, 64) ?? DEFAULT_CONCURRENCY;
  const batchSize = integerOption('batch-size', values['batch-size'] as string | undefined, 1, MAX_CALLS_PER_REQUEST) ?? MAX_CALLS_PER_REQUEST;
  const checkpointPath = dryRun ? undefined : (values.checkpoint as string | undefined);
  const rejectsPath = values.rejects as string | undefined;

  // Usage errors first, before anything is opened for writing.
  const named: NamedPath[] = [{ role: 'the input', path: file, readOnly: true }];
  const keyFile = values['api-key-file'] as string | undefined;
  if (keyFile !== undefined) named.push({ role: '--api-key-file', path: keyFile, readOnly: true });
  // the checkpoint's real path: one lock and one file however it is named (a symbolic link stays a link)
  const checkpointReal = checkpointPath === undefined ? undefined : checkpointFile(checkpointPath);
  if (checkpointPath !== undefined) {
    named.push({ role: '--checkpoint', path: checkpointPath });
    named.push({ role: "--checkpoint's lock file", path: `${checkpointReal}.lock` });
  }
  if (rejectsPath !== undefined) named.push({ role: '--rejects', path: rejectsPath });
  assertDistinct(named);
  if (checkpointPath !== undefined) assertUsableCheckpoint(checkpointPath, checkpointReal!);
  const input = openInput(file);
  const apiKey = dryRun ? undefined : apiKeyFrom(values, io.env);
  const connection = dryRun ? undefined : connectionOptions(values, io.env, { maxRetries: IMPORT_MAX_RETRIES });
  const options = connection?.options;
  let lock: CheckpointLock | undefined;
  let checkpoint: Checkpoint | undefined;
  try {
    if (checkpointPath !== undefined) {
      // the client checks --base-url first (a usage error), so the checkpoint names the API it really sends to
      const baseUrl = createClient(apiKey!, options!).baseUrl;
      lock = CheckpointLock.take(checkpointPath, { file: checkpointReal });
      try {
        checkpoint = Checkpoint.load(checkpointPath, checkpointIdentity(baseUrl, apiKey!), seams.checkpointIO, checkpointReal);
      } catch (error) {
        if (error instanceof CheckpointError) throw new UsageError(error.message);
        throw error;
      }
    }
    return await importRows();
  } finally {
    lock?.release();
    connection?.release(); // a proxy's tunnel that never answered must not keep the process alive
  }

  async function importRows(): Promise<number> {

  const redact = apiKey === undefined ? noRedaction : redactorFor(apiKey);
  const stop = new AbortController();
  let stopReason: 'signal' | 'fatal' | undefined;
  let signalName: NodeJS.Signals | undefined;
  let fatalError: string | undefined;
  let client: ThriveStack | undefined;
  let gate: RateGate | undefined;
  const budget = new ByteBudget(BUDGET_REQUESTS_PER_SLOT * concurrency * MAX_REQUEST_BYTES);
  const settled = (tags: readonly RowTag[]): void => {
    let bytes = 0;
    for (const tag of tags) bytes += tag.bytes;
    budget.release(bytes);
  };
  let abandoning: Promise<unknown> | undefined;
  const stats = newStats();
  /** Bytes of the input the rows read so far cover (the progress's "% read"). */
  let consumed = 0;
  const progress = new Progress({ stream: io.stderr, stats, totalBytes: input.size, bytesConsumed: () => consumed, quiet });

  /** Stops reading; `abandon` also gives up the requests in flight (their rows stay unacknowledged). */
  const halt = (reason: 'signal' | 'fatal', abandon: boolean): void => {
    stopReason ??= reason;
    stop.abort();
    if (abandon && client) abandoning ??= client.close({ timeout: 0 });
  };
  const fatal = (message: string): void => {
    fatalError ??= cliText(message, redact, MAX_REASON_CHARS);
    halt('fatal', true);
  };

  let rejects: RejectsWriter | undefined;
  let csvHeader: string[] | undefined;
  let shown = 0;
  async function report(
    line: number,
    kind: 'rejected' | 'failed',
    reason: string,
    original: string | string[],
    truncated = false,
    show = true,
  ): Promise<void> {
    if (rejects) {
      try {
        await rejects.write(line, reason, original, truncated);
      } catch (error) {
        throw new OutputError(`cannot write --rejects ${rejects.path}: ${(error as Error).message}`);
      }
    }
    if (!show || (quiet && rejects)) return; // --quiet with --rejects: every one is in the file
    // on stderr: all of them without --rejects, unless --quiet asks for few lines
    const limit = rejects || quiet ? SHOWN_WITH_REJECTS_FILE : Infinity;
    if (shown < limit) progress.log(`line ${line}: ${kind}: ${reason}`);
    else if (shown === limit) {
      progress.log(
        rejects
          ? `(more rows not delivered: see ${rejects.path})`
          : '(more rows not delivered are not shown with --quiet: pass --rejects FILE to have every one of them with its line and reason)',
      );
    }
    shown++;
  }
  /** Failed rows are written in order, one after the other, from the queue's onError. */
  let failedWrites: Promise<void> = Promise.resolve();

  if (!dryRun) {
    gate = new RateGate(concurrency, options!.fetch);
    // Rows acknowledged but not yet in the checkpoint are held below this (new requests wait while a
    // write catches up): with the requests in flight, at most concurrency × batch-size + holdAt rows
    // are sent again after a kill. The floor of 100 keeps a tiny --batch-size from waiting on every
    // disk flush.
    const holdAt = Math.max(concurrency * batchSize, 100);
    let consecutiveFailures = 0;
    const onError = (failure: DeliveryFailure): void => {
      const tags = failure.tags as RowTag[];
      settled(tags);
      stats.failed += tags.length;
      const reason = cliText(failure.error.message, redact, MAX_REASON_CHARS);
      failedWrites = failedWrites.then(async () => {
        for (const tag of tags) await report(tag.line, 'failed', reason, tag.original);
      }).catch((error: unknown) => fatal((error as Error).message));
      if (failure.error instanceof AuthenticationError) fatal(failure.error.message);
      else if (!(failure.error instanceof BadRequestError) && ++consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
        fatal(`${MAX_CONSECUTIVE_FAILURES} batches in a row failed after every retry; last error: ${failure.error.message}`);
      }
    };
    client = createClient(apiKey!, {
      ...options,
      fetch: gate.fetch,
      throttle: gate,
      flushAt: batchSize,
      maxBatchSize: batchSize,
      flushInterval: 1_000,
      maxConcurrentRequests: concurrency,
      maxQueueSize: 2 * concurrency * batchSize,
      onDelivered: ({ tags }) => {
        consecutiveFailures = 0;
        settled(tags as RowTag[]);
        stats.sent += tags.length;
        if (!checkpoint) return;
        checkpoint.acknowledge((tags as RowTag[]).map((t) => t.key!));
        if (checkpoint.unsaved >= holdAt) gate!.hold(true);
      },
      onError,
    }, (line) => progress.log(line));
    checkpoint?.onSaved(() => {
      if (checkpoint!.error) fatal(`cannot write --checkpoint ${checkpoint!.path}: ${checkpoint!.error.message}`);
      else if (checkpoint!.unsaved < holdAt) gate!.hold(false);
    });
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      signalName = signal;
      halt('signal', false);
      // a SIGTERM comes from a supervisor (kill, systemd, Kubernetes), not a keyboard: no "press Ctrl-C"
      const again = signal === 'SIGINT' ? 'press Ctrl-C again to abandon them' : `a second ${signal} (or Ctrl-C) abandons them`;
      progress.log(
        `thrivestack import: stopping: finishing the ${plural(client?.queueSize ?? 0, 'row')} queued or in flight` +
          `${checkpoint ? ', then saving the checkpoint' : ''} (${again})`,
      );
    } else {
      signalName ??= signal;
      halt('signal', true);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** Opens what the import writes, once the input's header or first row was read and checked. */
  let opened = false;
  const openOutputs = (): void => {
    opened = true;
    // every check that can fail (exit 2) before anything is emptied: the rejects file is opened
    // without truncation, the checkpoint rewritten (atomically, same rows), then the rejects emptied
    if (rejectsPath !== undefined) {
      rejects = RejectsWriter.open(rejectsPath, format);
      if (csvHeader) rejects.setHeader(csvHeader);
    }
    if (checkpoint) {
      try {
        checkpoint.start();
      } catch (error) {
        throw new UsageError(`cannot write --checkpoint ${checkpoint.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    rejects?.truncate();
    if (checkpoint) {
      if (checkpoint.previousRows > 0 && !quiet) {
        progress.log(
          `thrivestack import: resuming from ${checkpoint.path}: ${plural(checkpoint.previousRows, 'row')} acknowledged in earlier runs ` +
            '(a row is skipped only if the very same call is among them)',
        );
      }
    }
  };
  const warnRejectsColumns = (columns: readonly string[]): void => {
    const names = new Set(columns.map((c) => c.trim().toLowerCase()));
    if (names.has('line') && names.has('reason')) {
      progress.log(
        'thrivestack import: warning: the columns "line" and "reason" look like a rejects file\'s; they will be sent as traits. ' +
          'Delete these two columns first unless they are real traits.',
      );
    }
  };

  for (const damage of checkpoint?.damage ?? []) progress.log(`thrivestack import: ${damageText(checkpoint!.path, damage)}`);
  progress.start();
  /** CSV: where the header row ends (the resume advice copies it). */
  let headerBytes: number | undefined;
  const stream = input.stream();
  const rows =
    format === 'csv'
      ? readCsv(stream, {
          onHeader: (cells, end) => {
            csvHeader = cells;
            consumed = headerBytes = end;
            warnRejectsColumns(cells);
          },
          signal: stop.signal,
          trim,
        })
      : readNdjson(stream, stop.signal);
  let readError: unknown;
  /** The line the last row read ends on, and whether the whole input was read. */
  let lastLine = 0;
  let inputEnded = false;
  /** A row read as the import stopped, never queued (in the rejects file as not sent, like the rows abandoned in flight). */
  let unsent: RowTag | undefined;
  try {
    for await (const row of rows) {
      if (stop.signal.aborted) break;
      if (!opened) {
        openOutputs();
        if (format === 'ndjson' && looksLikeNdjsonRejects(row.wire)) {
          progress.log(
            'thrivestack import: warning: this looks like a rejects file ({"line","reason","row"}); import the rows it holds instead: ' +
              NDJSON_ROWS_COMMAND,
          );
        }
      }
      stats.read++;
      lastLine = row.endLine ?? row.line;
      if (row.end !== undefined) consumed = row.end;
      const prepared = prepareRow(row);
      if (!prepared.ok) {
        stats.rejected++;
        await report(row.line, 'rejected', shortReason(prepared.reason, redact), row.original, row.truncated);
        continue;
      }
      if (!client) continue; // dry run
      const key = checkpoint ? rowKey(prepared.prepared.json) : undefined;
      if (key !== undefined && checkpoint!.claim(key)) {
        stats.skipped++;
        continue;
      }
      const tag: RowTag = { line: row.line, key, original: row.original, bytes: prepared.bytes };
      // memory: wait while the rows not settled yet hold the byte budget (big rows), not only the queue's row bound
      if (!budget.tryReserve(tag.bytes) && !(await budget.reserve(tag.bytes, stop.signal))) {
        unsent = tag;
        break;
      }
      try {
        // read and checked once, above; a promise only when the queue is full (then wait for room)
        const waiting = enqueuePrepared(client, prepared.prepared, tag);
        if (waiting) await waiting;
      } catch (error) {
        if (error instanceof QueueError && stop.signal.aborted) {
          unsent = tag; // closed while waiting for room
          break;
        }
        throw error;
      }
    }
    inputEnded = !stop.signal.aborted && unsent === undefined;
    if (!opened && !stop.signal.aborted) openOutputs(); // an input with no rows
  } catch (error) {
    readError = error;
    halt('fatal', true);
  }
  let abandoned = 0;
  if (client) {
    await client.flush();
    const closed = await client.close({ timeout: 0 });
    abandoned = closed.pending;
    await abandoning;
    // the rejects file lists every row read and not delivered: those given up on too
    // a row in flight may have reached ThriveStack: "not acknowledged", never "not sent", for those
    const notSent = [
      ...(closed.pendingTags as RowTag[]).map((tag) => ({ tag, reason: ABANDONED_REASON })),
      ...(unsent ? [{ tag: unsent, reason: UNSENT_REASON }] : []),
    ].sort((a, b) => a.tag.line - b.tag.line);
    if (notSent.length > 0) {
      failedWrites = failedWrites.then(async () => {
        for (const { tag, reason } of notSent) await report(tag.line, 'failed', reason, tag.original, false, false);
      }).catch((error: unknown) => fatal((error as Error).message));
    }
  }
  await failedWrites;
  if (checkpoint && opened) {
    try {
      await checkpoint.close();
    } catch (error) {
      fatalError ??= `cannot write --checkpoint ${checkpoint.path}: ${(error as Error).message}`;
    }
  }
  progress.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  try {
    await rejects?.close();
  } catch (error) {
    fatalError ??= `cannot write --rejects ${rejects!.path}: ${(error as Error).message}`;
  }

  if (readError instanceof UsageError) throw readError;
  if (readError instanceof OutputError) fatalError ??= readError.message;
  if (readError !== undefined) fatalError ??= `cannot read ${file === '-' ? 'stdin' : file}: ${(readError as Error).message}`;

  let outcome: Summary['outcome'];
  let exitCode: number;
  if (stopReason === 'signal') {
    outcome = 'interrupted';
    exitCode = signalName === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  } else if (fatalError !== undefined) {
    outcome = 'aborted';
    exitCode = EXIT.failed;
  } else if (stats.failed > 0) {
    outcome = 'failed';
    exitCode = EXIT.failed;
  } else {
    outcome = dryRun ? 'dry-run' : 'complete';
    exitCode = stats.rejected > 0 ? EXIT.rejected : EXIT.ok;
  }
  const seconds = (Date.now() - stats.startedAt) / 1000;
  const summary: Summary = {
    ...stats,
    abandoned,
    unsent: unsent ? 1 : 0,
    // after every row read (a row read and not queued is in the rejects file, as not sent): where the
    // rows not read start, by line and (for the resume advice's `tail -c`) by byte, which is exact
    // whatever line breaks the rows hold (a quoted cell's, a lone CR), where a line count is not
    stoppedAtLine: inputEnded ? undefined : lastLine + 1,
    stoppedAtByte: inputEnded ? undefined : consumed,
    headerBytes,
    input: file === '-' ? undefined : file,
    format,
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
    io.stderr.write(`thrivestack import: ThriveStack rate-limited ${plural(gate.rateLimited, 'request')}; the import slowed down and retried ${gate.rateLimited === 1 ? 'it' : 'them'}\n`);
  }
  if (json) {
    const { startedAt: _startedAt, ...rest } = summary;
    io.stdout.write(`${JSON.stringify({ ...rest, seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round(summary.rowsPerSecond) })}\n`);
  } else {
    io.stdout.write(summaryText(summary));
  }
  return exitCode;
  }
}

/** A file the import writes failed (not the input): the message names it. */
class OutputError extends Error {}

function looksLikeNdjsonRejects(wire: unknown): boolean {
  return typeof wire === 'object' && wire !== null && 'line' in wire && 'reason' in wire && 'row' in wire;
}
