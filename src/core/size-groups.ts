/**
 * Cutting a list into runs of neighbouring items by size: the files a read takes together, the
 * manifests a commit merges into one.
 */

/**
 * `items` in their order, cut into runs whose sizes (`sizeOf`) add up to at most `maxSize` and
 * that hold at most `maxCount` items; an item larger than `maxSize` forms a run of its own.
 */
export function sizeGroups<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxSize: number,
  maxCount = Number.POSITIVE_INFINITY,
): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let size = 0;
  for (const item of items) {
    if (group.length > 0 && (size + sizeOf(item) > maxSize || group.length >= maxCount)) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(item);
    size += sizeOf(item);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
