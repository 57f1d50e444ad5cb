import { describe, expect, it } from 'vitest';
import { confirmByPaths, confirmField, contradictedFields, sameMembers, writeApplied } from './confirmation.js';

describe('confirmByPaths (the vendor-neutral comparison)', () => {
  it.each([
    ['a leaf the re-read shows', { name: 'a' }, { name: 'a', id: 1 }, { name: 'CONFIRMED' }],
    ['a leaf with another value', { name: 'a' }, { name: 'b' }, { name: 'CONTRADICTED' }],
    ['a leaf the re-read does not show', { description: 'd' }, { name: 'a' }, { description: 'UNCONFIRMED' }],
    ['nested leaves by path', { spec: { a: { b: 1, c: 2 } } }, { spec: { a: { b: 1, c: 3 } } }, { 'spec.a.b': 'CONFIRMED', 'spec.a.c': 'CONTRADICTED' }],
    ['a list of objects the vendor adds ids to, in another order', { ports: [{ name: 'p', port: 1 }, { name: 'q', port: 2 }] }, { ports: [{ id: 'x', name: 'q', port: 2 }, { id: 'y', name: 'p', port: 1 }] }, { ports: 'CONFIRMED' }],
    ['a list of objects with one missing', { ports: [{ name: 'p' }] }, { ports: [{ name: 'p' }, { name: 'q' }] }, { ports: 'CONTRADICTED' }],
    ['a list of strings, in order', { tags: ['a', 'b'] }, { tags: ['a', 'b'] }, { tags: 'CONFIRMED' }],
    ['an empty object sent is a leaf', { config: {} }, { config: {} }, { config: 'CONFIRMED' }],
    ['bigint against its decimal text', { size: 9007199254740993n }, { size: 9007199254740993n }, { size: 'CONFIRMED' }],
  ])('%s', (_why, body, reread, states) => {
    expect(Object.fromEntries(confirmByPaths(body, reread).map((f) => [f.field, f.state]))).toEqual(states);
  });

  it('a body that is not an object has no fields', () => {
    expect(confirmByPaths(null, {})).toEqual([]);
  });
});

describe('outcome', () => {
  it('is applied unless a field is contradicted: unconfirmed fields are not failures', () => {
    const fields = [confirmField('a', 1, { seen: 1 }), confirmField('b', 2, { unseen: 'not shown' })];
    expect(writeApplied(fields)).toBe(true);
    const worse = [...fields, confirmField('c', 3, { seen: 4 })];
    expect(writeApplied(worse)).toBe(false);
    expect(contradictedFields(worse)).toEqual(['c']);
  });

  it('a mismatch can be declared unconfirmed (an assumed semantic), with its note', () => {
    expect(confirmField('tags', ['x'], { seen: ['y'] }, { equal: sameMembers, onMismatch: 'UNCONFIRMED', note: 'assumption' })).toEqual({
      field: 'tags',
      state: 'UNCONFIRMED',
      sent: ['x'],
      seen: ['y'],
      note: 'assumption',
    });
  });
});
