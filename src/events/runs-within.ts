/**
 * Items in order, cut into runs of at most `maxCount` whose sizes, added to `base` (what every run
 * carries anyway, such as an envelope), stay within `maxSize`. An item too large for that is a run
 * of its own.
 */
export function runsWithin<T>(items: readonly T[], maxCount: number, maxSize: number, sizeOf: (item: T) => number, base = 0): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let size = base;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (run.length > 0 && (run.length >= maxCount || size + itemSize > maxSize)) {
      runs.push(run);
      [run, size] = [[], base];
    }
    run.push(item);
    size += itemSize;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
