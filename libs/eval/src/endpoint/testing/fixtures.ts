/**
 * Small benchmark fixtures for endpoint tests, cut from the published files in the committed
 * benchmarks folder: a few MathVista problems (with generated PNGs, since MathVista ships no
 * images; written under the problem's own `images/<pid>.jpg|png` name), a few LogicVista items
 * re-keyed `v1_0…` (the scorer wants contiguous ids) with their sample images, and a few MMMU-Pro
 * rows with generated images as `image_1…` / `image` paths.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { benchmarkFile } from '../../formats/benchmarks-dir.js';
import { solidPng } from './png.js';

export interface Fixture {
  readonly dir: string;
  readonly data: string;
  readonly images: string;
}

export const mathVistaFixture = async (dir: string, pids: readonly string[]): Promise<Fixture> => {
  const all = JSON.parse(await readFile(benchmarkFile('mathvista', 'testmini.json'), 'utf8')) as Record<string, { image: string }>;
  const subset = Object.fromEntries(pids.map((pid) => [pid, all[pid]!]));
  await mkdir(join(dir, 'images'), { recursive: true });
  for (const [i, pid] of pids.entries()) await writeFile(join(dir, all[pid]!.image), solidPng(3 + i, 2, [i * 20, 100, 200, 255]));
  const data = join(dir, 'testmini.json');
  await writeFile(data, JSON.stringify(subset));
  return { dir, data, images: dir };
};

/** LogicVista items with sample images, re-keyed `v1_0`, `v1_1`, …; `sourceIds` from v1_287–291, 331–335, 373–377, 417–421. */
export const logicVistaFixture = async (dir: string, sourceIds: readonly string[]): Promise<Fixture> => {
  const all = JSON.parse(await readFile(benchmarkFile('logicvista', 'dataset.json'), 'utf8')) as Record<string, { imagename: string }>;
  const images = join(dir, 'images');
  await mkdir(images, { recursive: true });
  const subset: Record<string, unknown> = {};
  for (const [i, id] of sourceIds.entries()) {
    const item = all[id]!;
    subset[`v1_${i}`] = item;
    await copyFile(benchmarkFile('logicvista', 'images_sample', item.imagename), join(images, item.imagename));
  }
  const data = join(dir, 'dataset.json');
  await writeFile(data, JSON.stringify(subset));
  return { dir, data, images };
};

/** The first `count` MMMU-Pro rows (standard 10-option file) without their results, images generated. */
export const mmmuProFixture = async (dir: string, count: number): Promise<Fixture> => {
  const lines = (await readFile(benchmarkFile('mmmu-pro', 'output', 'gpt-4o_standard10_cot.jsonl'), 'utf8')).split('\n').slice(0, count);
  const rows: string[] = [];
  for (const [i, line] of lines.entries()) {
    const { response: _r, pred_indexs: _p, if_right: _i, ...row } = JSON.parse(line) as Record<string, unknown>;
    const id = String(row['id']);
    const image1 = `img/${id}_1.png`;
    const image2 = `img/${id}_2.png`;
    const screenshot = `img/${id}_vision.png`;
    for (const [path, shade] of [[image1, 10], [image2, 20], [screenshot, 30]] as const) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), solidPng(2 + i, 2, [shade, shade, shade, 255]));
    }
    rows.push(JSON.stringify({ ...row, image: screenshot, image_1: image1, image_2: i % 2 === 0 ? image2 : null, image_3: null }));
  }
  const data = join(dir, 'mmmu-pro.jsonl');
  await writeFile(data, `${rows.join('\n')}\n`);
  return { dir, data, images: dir };
};
