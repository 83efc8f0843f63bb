import { createCoalescer } from '../../src/push/coalesce';

/** A piece of work that finishes only when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('createCoalescer', () => {
  it('runs once, then once more with everything that arrived meanwhile merged', async () => {
    const coalesce = createCoalescer<number>((a, b) => Math.min(a, b));
    const seen: number[] = [];
    const first = gate();
    const work = async (n: number) => {
      seen.push(n);
      if (seen.length === 1) await first.opened;
    };
    const all = [coalesce('c1', 5, work), coalesce('c1', 3, work), coalesce('c1', 9, work), coalesce('c1', 4, work)];
    expect(seen).toEqual([5]);
    first.open();
    await Promise.all(all);
    expect(seen).toEqual([5, 3]);
  });

  it('keeps keys apart, and starts afresh after a run ends', async () => {
    const coalesce = createCoalescer<string>((a) => a);
    const seen: string[] = [];
    const work = async (s: string) => void seen.push(s);
    await Promise.all([coalesce('a', 'a1', work), coalesce('b', 'b1', work)]);
    await coalesce('a', 'a2', work);
    expect(seen).toEqual(['a1', 'b1', 'a2']);
  });

  it('frees the key when the work throws, and the callers see the failure', async () => {
    const coalesce = createCoalescer<number>((a) => a);
    await expect(coalesce('k', 1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const seen: number[] = [];
    await coalesce('k', 2, async (n) => void seen.push(n));
    expect(seen).toEqual([2]);
  });
});
