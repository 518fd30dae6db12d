/**
 * The one progress reporter of the command line (training and the SFT warm start): on a terminal
 * a cli-progress bar with the ETA and the fields the caller names; when the stream is not a
 * terminal (a log file, CI), one plain line every `plainEvery` steps and at the last step. What a
 * kind of progress shows is its `ProgressSpec`; how it is shown is here.
 */
import cliProgress from 'cli-progress';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** A stream that says it is a terminal is one of Node's TTY write streams, which the bar draws on. */
export const isTerminal = (stream: ProgressStream): stream is NodeJS.WriteStream => stream.isTTY === true;

export interface Progress<A> {
  /** Reports a finished step. */
  readonly update: (item: A) => void;
  readonly stop: () => void;
}

/** What a plain line may use for its ETA: the steps done in this process and the seconds they took. */
export interface ProgressTiming {
  readonly totalSteps: number;
  readonly stepsDone: number;
  readonly elapsedSeconds: number;
}

export interface ProgressSpec<A> {
  /** The step an item reports (1 for the first). */
  readonly step: (item: A) => number;
  /** The bar's cli-progress format: `{bar}`, `{value}`, `{total}`, `{eta_formatted}` and the fields below. */
  readonly barFormat: string;
  /** The bar's fields for an item, or before the first one (null). */
  readonly barFields: (item: A | null) => Readonly<Record<string, string>>;
  readonly plainLine: (item: A, timing: ProgressTiming) => string;
  /** The seconds an item took, when it reports them; otherwise the clock measures the time. */
  readonly seconds?: (item: A) => number;
}

export interface ProgressOptions {
  readonly totalSteps: number;
  /** Steps already done (a resumed run's step; default 0). */
  readonly startStep?: number;
  /** Default process.stdout. */
  readonly stream?: ProgressStream;
  /** In plain mode, print every this many steps (default 10). */
  readonly plainEvery?: number;
  /** Milliseconds clock for the plain-mode ETA (default Date.now). */
  readonly now?: () => number;
}

export const createProgressReporter = <A>(spec: ProgressSpec<A>, options: ProgressOptions): Progress<A> => {
  const stream = options.stream ?? process.stdout;
  const { totalSteps } = options;
  if (isTerminal(stream)) {
    const bar = new cliProgress.SingleBar({ stream, format: spec.barFormat, etaBuffer: 20, hideCursor: true, barsize: 24 });
    bar.start(totalSteps, options.startStep ?? 0, spec.barFields(null));
    return {
      update: (item) => bar.update(spec.step(item), spec.barFields(item)),
      stop: () => bar.stop(),
    };
  }
  const now = options.now ?? Date.now;
  const plainEvery = options.plainEvery ?? 10;
  const started = now();
  let stepsDone = 0;
  let reportedSeconds = 0;
  return {
    update: (item) => {
      stepsDone++;
      if (spec.seconds !== undefined) reportedSeconds += spec.seconds(item);
      const step = spec.step(item);
      if (step % plainEvery === 0 || step === totalSteps) {
        const elapsedSeconds = spec.seconds === undefined ? (now() - started) / 1000 : reportedSeconds;
        stream.write(`${spec.plainLine(item, { totalSteps, stepsDone, elapsedSeconds })}\n`);
      }
    },
    stop: () => undefined,
  };
};
