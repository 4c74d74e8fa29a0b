// Cancellation for the library API: an AbortSignal stops generation between decode steps (and
// training between optimizer steps). Rejections use AbortError, named like the DOM's and Node's
// own (`err.name === "AbortError"`, `code "ABORT_ERR"`), with the signal's reason as `cause`.

/** The operation was cancelled through its AbortSignal. */
export class AbortError extends Error {
  override readonly name = "AbortError";
  readonly code = "ABORT_ERR";
  /** An AbortError with `message`; `options.cause` carries the signal's reason. */
  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Throws AbortError if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortError(`${what} was aborted`, { cause: signal.reason });
}

/** Lets timers, I/O and other callbacks run: resolves in the event loop's next check phase. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
