/**
 * One process-wide `beforeExit` listener for every client that holds queued calls.
 *
 * A Node process that ends naturally while queues still hold calls delivers them first: the listener
 * flushes every registered queue, holding the event loop open only until they settle. The listener
 * exists only while at least one queue is registered, and there is one however many clients there are,
 * so fifty clients raise no `MaxListenersExceededWarning`. Outside Node (no `process.on`), nothing is
 * registered.
 */

/** What the registry needs of a queue: a flush that never rejects. */
export interface Flushable {
  flush(): Promise<void>;
}

const holders = new Set<Flushable>();
let listening = false;

type ProcessLike = { on?: (event: string, listener: () => void) => unknown; off?: (event: string, listener: () => void) => unknown };
const processLike = (): ProcessLike | undefined => (globalThis as { process?: ProcessLike }).process;

function onBeforeExit(): void {
  const pending = [...holders];
  if (pending.length === 0) return;
  // an active handle keeps the loop alive while the (unref'd) queue timers and requests finish
  const keepAlive = setInterval(() => {}, 1_000);
  void Promise.all(pending.map((queue) => queue.flush().catch(() => undefined))).then(() => clearInterval(keepAlive));
}

function listen(on: boolean): void {
  if (on === listening) return;
  const proc = processLike();
  if (typeof proc?.on !== 'function' || typeof proc.off !== 'function') return;
  if (on) proc.on('beforeExit', onBeforeExit);
  else proc.off('beforeExit', onBeforeExit);
  listening = on;
}

/** Registers (`true`) or unregisters (`false`) a queue that holds calls. Cheap when nothing changes. */
export function holdForExit(queue: Flushable, holding: boolean): void {
  if (holding) {
    if (holders.has(queue)) return;
    holders.add(queue);
    listen(true);
  } else {
    if (!holders.delete(queue)) return;
    if (holders.size === 0) listen(false);
  }
}

/** Queues registered now (for tests). */
export function exitHookHolders(): number {
  return holders.size;
}
