/**
 * Clean stop on SIGINT/SIGTERM: the first signal sets a flag that the training loop reads after
 * the current step (it then checkpoints and exits with 128 + the signal number: 130 for SIGINT,
 * 143 for SIGTERM); a second signal exits at once with the same convention.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Where signals come from: `process` by default, an EventEmitter in tests. */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
}

export interface StopHandlerOptions {
  readonly source?: SignalSource;
  /** Called on the second signal; `process.exit` by default. */
  readonly exit?: (code: number) => void;
  /** Called on the first signal (e.g. to log it and tell the user a second one exits now). */
  readonly onSignal?: (signal: StopSignal) => void;
}

export interface StopHandler {
  /** True once a signal has arrived; the loop checks it after each step. */
  readonly requested: () => boolean;
  readonly signal: () => StopSignal | null;
  /** 130 or 143 once a signal has arrived, else null. */
  readonly exitCode: () => number | null;
  /** Removes the listeners. */
  readonly dispose: () => void;
}

export const installStopHandler = (options: StopHandlerOptions = {}): StopHandler => {
  const source: SignalSource = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let received: StopSignal | null = null;
  const listeners = new Map<StopSignal, () => void>();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const listener = (): void => {
      if (received !== null) {
        exit(SIGNAL_EXIT_CODES[signal]);
        return;
      }
      received = signal;
      options.onSignal?.(signal);
    };
    listeners.set(signal, listener);
    source.on(signal, listener);
  }
  return {
    requested: () => received !== null,
    signal: () => received,
    exitCode: () => (received === null ? null : SIGNAL_EXIT_CODES[received]),
    dispose: () => {
      for (const [signal, listener] of listeners) source.off(signal, listener);
      listeners.clear();
    },
  };
};
