import { describe, expect, it } from 'vitest';
import type { EngineFactory } from '@rlflow/engine';
import { AUTO_ENGINE_ORDER, chooseEngine, ENGINE_CHOICES, ENGINE_NAMES, ENGINES, usesLocalInit, type EngineName } from './engines.js';

/** A stand-in factory per engine name, so the choice can be checked without loading any engine. */
const factories = new Map<EngineName, EngineFactory>(ENGINE_NAMES.map((name) => [name, (async () => { throw new Error(`${name} was created`); }) as EngineFactory]));
const loader = (unloadable: ReadonlySet<EngineName>) => async (name: EngineName): Promise<EngineFactory> => {
  if (unloadable.has(name)) throw new Error(`Cannot find module 'onnxruntime-node'\nRequire stack: …`);
  return factories.get(name)!;
};

describe('engine choice', () => {
  it('offers auto and every registered engine', () => {
    expect(ENGINE_CHOICES).toEqual(['auto', ...Object.keys(ENGINES)]);
    for (const { name } of AUTO_ENGINE_ORDER) expect(ENGINES[name].localInit).toBe(true);
    expect(usesLocalInit('auto')).toBe(true);
    expect(usesLocalInit('tinker')).toBe(false);
  });

  it('uses an engine named in the config as it is', async () => {
    for (const name of ENGINE_NAMES) {
      const chosen = await chooseEngine(name, loader(new Set()));
      expect([chosen.name, chosen.factory, chosen.reason]).toEqual([name, factories.get(name), `${name}, as configured`]);
    }
  });

  it('auto takes the first engine of its order that loads, and says why', async () => {
    const first = AUTO_ENGINE_ORDER[0]!;
    const chosen = await chooseEngine('auto', loader(new Set()));
    expect(chosen.name).toBe(first.name);
    expect(chosen.reason).toBe(`auto chose ${first.name}: ${first.why}`);
  });

  it('auto falls back past an engine that does not load, naming it and the first line of its error', async () => {
    const [first, second] = AUTO_ENGINE_ORDER;
    const chosen = await chooseEngine('auto', loader(new Set([first!.name])));
    expect(chosen.name).toBe(second!.name);
    expect(chosen.reason).toBe(`auto chose ${second!.name}: ${second!.why} (${first!.name} did not load: Cannot find module 'onnxruntime-node')`);
  });

  it('auto fails with every reason when no engine loads', async () => {
    await expect(chooseEngine('auto', loader(new Set(AUTO_ENGINE_ORDER.map((e) => e.name))))).rejects.toThrow(/^engine auto: no engine loads here \(onnx did not load: .*; tfjs did not load: /);
  });
});
