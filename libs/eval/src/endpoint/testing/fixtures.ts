/**
 * Small benchmark fixtures for endpoint tests, cut from the published files in the committed
 * benchmarks folder: a few MathVista problems (with generated PNGs, since MathVista ships no
 * images; written under the problem's own `images/<pid>.jpg|png` name), a subset of LogicVista
 * items under their own ids with their sample images, and a few MMMU-Pro rows with generated images
 * as `image_1…` / `image` paths.
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

/** LogicVista items with sample images, under their own ids in the order given; `ids` from v1_287–291, 331–335, 373–377, 417–421. */
export const logicVistaFixture = async (dir: string, ids: readonly string[]): Promise<Fixture> => {
  const all = JSON.parse(await readFile(benchmarkFile('logicvista', 'dataset.json'), 'utf8')) as Record<string, { imagename: string }>;
  const images = join(dir, 'images');
  await mkdir(images, { recursive: true });
  const subset: Record<string, unknown> = {};
  for (const id of ids) {
    const item = all[id]!;
    subset[id] = item;
    await copyFile(benchmarkFile('logicvista', 'images_sample', item.imagename), join(images, item.imagename));
  }
  const data = join(dir, 'dataset.json');
  await writeFile(data, JSON.stringify(subset));
  return { dir, data, images };
};

/**
 * MMMU-Pro rows (standard 10-option file) without their results, images generated: the first
 * `rows` rows, or the rows with the ids given, in that order.
 */
export const mmmuProFixture = async (dir: string, rows: number | readonly string[]): Promise<Fixture> => {
  const all = (await readFile(benchmarkFile('mmmu-pro', 'output', 'gpt-4o_standard10_cot.jsonl'), 'utf8')).split('\n').filter((line) => line !== '');
  const idOf = (line: string): string => String((JSON.parse(line) as { id: unknown }).id);
  const lines = typeof rows === 'number' ? all.slice(0, rows) : rows.map((id) => all.find((line) => idOf(line) === id)!);
  const written: string[] = [];
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
    written.push(JSON.stringify({ ...row, image: screenshot, image_1: image1, image_2: i % 2 === 0 ? image2 : null, image_3: null }));
  }
  const data = join(dir, 'mmmu-pro.jsonl');
  await writeFile(data, `${written.join('\n')}\n`);
  return { dir, data, images: dir };
};
