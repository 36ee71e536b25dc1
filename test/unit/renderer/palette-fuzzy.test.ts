// The command palette's fuzzy matcher (pure, renderer-side).
import { expect, it } from 'vitest';
import { fold, fuzzyScore, rankIndexes } from '../../../src/renderer/src/palette/fuzzy.ts';

it('matches contiguous text above subsequences, ignoring case, accents and spaces in the query', () => {
  expect(fuzzyScore('', 'anything')).toBe(0);
  expect(fuzzyScore('sess', 'Go to Sessions')).not.toBeNull();
  expect(fuzzyScore('gtsess', 'Go to Sessions')).not.toBeNull();
  expect(fuzzyScore('go sess', 'Go to Sessions')).not.toBeNull();
  expect(fuzzyScore('xyz', 'Go to Sessions')).toBeNull();
  expect(fuzzyScore('sg', 'Go to Sessions')).toBeNull(); // order matters
  expect(fuzzyScore('zoe', 'Zoë Ortega')).not.toBeNull();
  expect(fuzzyScore('ZOË', 'zoe')).not.toBeNull();
  expect(fold('Ångström ÉCOLE')).toBe('angstrom ecole');
  // Contiguous beats scattered; a prefix beats a later occurrence; a word start beats the middle of a word.
  expect(fuzzyScore('sess', 'Go to Sessions')!).toBeGreaterThan(fuzzyScore('sess', 'some elses scores')!);
  expect(fuzzyScore('ali', 'alice')!).toBeGreaterThan(fuzzyScore('ali', 'natalie')!);
  expect(fuzzyScore('lid', 'Alice Liddell')!).toBeGreaterThan(fuzzyScore('lid', 'valid')!);
  // Consecutive, word-start subsequences beat gappy ones.
  expect(fuzzyScore('gts', 'Go to Sessions')!).toBeGreaterThan(fuzzyScore('gts', 'log out all sessions')!);
});

it('ranks the best few of many candidates, best first, stable on ties', () => {
  const names = ['bob', 'alice', 'Alicia Keys', 'malice', 'carol', 'alice2'].map((n) => [fold(n)]);
  expect(rankIndexes('ali', names.length, (i) => names[i]!, 3)).toEqual([1, 5, 2]);
  expect(rankIndexes('', names.length, (i) => names[i]!, 2)).toEqual([0, 1]);
  expect(rankIndexes('qq', names.length, (i) => names[i]!, 5)).toEqual([]);
  // Any of a candidate's texts may match (user ID or display name).
  const users = [
    ['u-1', 'zoe ortega'],
    ['u-2', 'bob'],
  ];
  expect(rankIndexes('ortega', 2, (i) => users[i]!, 5)).toEqual([0]);
  expect(rankIndexes('u-2', 2, (i) => users[i]!, 5)).toEqual([1]);
});

it('over a 100,000-user directory: the IDs containing the query first, then scattered matches', () => {
  const users = Array.from({ length: 100_000 }, (_, i) => [
    fold(`user-${String(i).padStart(6, '0')}`),
    fold(`Person ${String(i)}`),
  ]);
  const top = rankIndexes('user-09999', users.length, (i) => users[i]!, 50);
  expect(top.slice(0, 10)).toEqual([99_990, 99_991, 99_992, 99_993, 99_994, 99_995, 99_996, 99_997, 99_998, 99_999]);
  expect(rankIndexes('person 4242', users.length, (i) => users[i]!, 3)[0]).toBe(4242);
});
