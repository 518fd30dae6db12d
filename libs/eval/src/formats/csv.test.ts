import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { parseCsvTable } from './csv.js';

describe('parseCsvTable', () => {
  it('keys records by header and reports records of the wrong width', () => {
    const ok = parseCsvTable('t.csv')(',id,x\n0,v1_0,"[\'a\']"\n');
    expect(E.isRight(ok) && ok.right.rows).toEqual([{ '': '0', id: 'v1_0', x: "['a']" }]);
    const bad = parseCsvTable('t.csv')('id,x\n1,2,3\n4\n');
    expect(E.isLeft(bad) && bad.left.problems).toEqual(['record 1: has 3 fields, expected 2 (the header\'s)', 'record 2: has 1 fields, expected 2 (the header\'s)']);
    const empty = parseCsvTable('t.csv')('');
    expect(E.isLeft(empty) && empty.left.problems).toEqual(['the file has no header record']);
  });

  it('does not confuse header names with object prototype keys', () => {
    const table = parseCsvTable('t.csv')('constructor,toString\n1,2\n');
    expect(E.isRight(table) && table.right.rows[0]).toEqual({ constructor: '1', toString: '2' });
  });
});
