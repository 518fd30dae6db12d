/** The engine bench on a tiny model and a small matmul, on the cpu backend (checks in bench-model.case.ts). */
import { describe, it } from 'vitest';
import { checkTinyModelBench } from './bench-model.case.js';

describe('model bench', () => {
  it('measures generation, a training step and a matmul in one run and writes the figures', async () => {
    await checkTinyModelBench('cpu');
  });
});
