import { describe, expect, it } from 'vitest';
import { createProgressReporter, type ProgressSpec, type ProgressTiming } from './index.js';

interface Item {
  readonly step: number;
  readonly seconds: number;
}

const lines = (spec: Omit<ProgressSpec<Item>, 'step' | 'barFormat' | 'barFields'>, items: readonly Item[], options: { totalSteps: number; plainEvery: number; now?: () => number; tick?: () => void }) => {
  const written: string[] = [];
  const progress = createProgressReporter<Item>(
    { step: (item) => item.step, barFormat: '{bar} {value}/{total} | {x}', barFields: (item) => ({ x: item === null ? '–' : String(item.seconds) }), ...spec },
    { ...options, stream: { write: (text: string) => written.push(text) } },
  );
  for (const item of items) {
    options.tick?.();
    progress.update(item);
  }
  progress.stop();
  return written;
};

const timing = (_: Item, t: ProgressTiming) => `${t.stepsDone}/${t.totalSteps} in ${t.elapsedSeconds}s`;
const items = [1, 2, 3, 4, 5].map((step) => ({ step, seconds: step }));

describe('the progress reporter', () => {
  it('writes plain lines every N steps and at the last, timed by the clock', () => {
    let ms = 0;
    expect(lines({ plainLine: timing }, items, { totalSteps: 5, plainEvery: 2, now: () => ms, tick: () => (ms += 1000) })).toEqual(['2/5 in 2s\n', '4/5 in 4s\n', '5/5 in 5s\n']);
  });

  it('times by the seconds the items report when the spec says so', () => {
    expect(lines({ plainLine: timing, seconds: (item) => item.seconds }, items, { totalSteps: 5, plainEvery: 2, now: () => 0 })).toEqual(['2/5 in 3s\n', '4/5 in 10s\n', '5/5 in 15s\n']);
  });

  it('draws a bar with the spec fields on a terminal', () => {
    const written: string[] = [];
    const terminal = { isTTY: true, columns: 120, write: (text: string) => (written.push(text), true) };
    const progress = createProgressReporter<Item>(
      { step: (item) => item.step, barFormat: '{bar} {value}/{total} | took {x}s', barFields: (item) => ({ x: item === null ? '–' : String(item.seconds) }), plainLine: () => 'never' },
      { totalSteps: 8, startStep: 2, stream: terminal },
    );
    progress.update({ step: 3, seconds: 7 });
    progress.stop();
    expect(written.join('')).toContain('3/8 | took 7s');
    expect(written.join('')).not.toContain('never');
  });
});
