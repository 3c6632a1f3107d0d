/**
 * Merging small manifests as a commit carries them, as Iceberg's own appends do (`MergeAppend`).
 * Every commit writes a manifest for the files it adds and every later snapshot carries it, so a
 * table synced incrementally every few minutes, or fed by CDC every few seconds, would list
 * thousands of manifests: every reader opens them all, and so does every commit's own check of
 * what it published (commit-check.ts), one object read each: 400 one-row appends to a local lake
 * took 59 ms a commit at first and 401 ms at the end, 99.5 s in all; merged, 37 and 111 ms, 32 s
 * (the rest of the growth is the metadata file's snapshot list). On S3 every manifest read is a
 * request. Once a snapshot would carry `commit.manifest.min-count-to-merge` (100)
 * manifests of one partition spec smaller than `commit.manifest.target-size-bytes` (8 MB), they
 * are rewritten into as few manifests of at most that size as they fill: their live entries as
 * EXISTING, with the numbers they inherited written out (`existingEntries`), so every file keeps
 * the snapshot and sequence numbers it had. The table properties and their defaults are
 * Iceberg's; `commit.manifest-merge.enabled = false` turns merging off.
 */
import { mapLimited } from '../core/map-limited.js';
import { sizeGroups } from '../core/size-groups.js';
import type { ObjectStorage } from '../storage/storage.js';
import { MANIFEST_READS } from './manifest-io.js';
import type { SpecManifestWriter } from './manifest-rewrite.js';
import { existingEntries } from './manifest-rewrite.js';
import type { ManifestFile } from './manifest-schemas.js';

/** How a table's commits merge manifests: Iceberg's table properties, read from its metadata. */
export interface ManifestMergePolicy {
  /** False: never merge (`commit.manifest-merge.enabled`). */
  enabled: boolean;
  /** Fewest small manifests of one spec that are merged (`commit.manifest.min-count-to-merge`). */
  minCount: number;
  /** Size a merged manifest grows to, and below which a manifest is small (`commit.manifest.target-size-bytes`). */
  targetBytes: number;
}

const DEFAULT_MIN_COUNT = 100;
const DEFAULT_TARGET_BYTES = 8 * 1024 * 1024;

/** The policy `properties` set, with Iceberg's defaults for what they leave out or cannot be read. */
export function manifestMergePolicy(properties: Readonly<Record<string, string>> = {}): ManifestMergePolicy {
  const count = (key: string, fallback: number) => {
    const value = Number(properties[key]);
    return Number.isInteger(value) && value > 0 ? value : fallback;
  };
  return {
    enabled: properties['commit.manifest-merge.enabled']?.trim().toLowerCase() !== 'false',
    // Merging one manifest into itself gains nothing: at least two.
    minCount: Math.max(2, count('commit.manifest.min-count-to-merge', DEFAULT_MIN_COUNT)),
    targetBytes: count('commit.manifest.target-size-bytes', DEFAULT_TARGET_BYTES),
  };
}

/**
 * `carried` (the manifests a new snapshot takes over from its parent, data manifests only) with
 * the small ones of each spec merged when the policy says so; the others keep their place.
 */
export async function mergeCarriedManifests(
  storage: ObjectStorage,
  carried: readonly ManifestFile[],
  policy: ManifestMergePolicy,
  write: SpecManifestWriter,
): Promise<ManifestFile[]> {
  if (!policy.enabled) return [...carried];
  const small = new Map<number, ManifestFile[]>();
  for (const manifest of carried) {
    if (manifest.manifest_length >= policy.targetBytes) continue;
    const group = small.get(manifest.partition_spec_id) ?? [];
    group.push(manifest);
    small.set(manifest.partition_spec_id, group);
  }
  const merged = new Set<ManifestFile>();
  const result: ManifestFile[] = [];
  for (const [specId, group] of small) {
    if (group.length < policy.minCount) continue;
    for (const bin of sizeGroups(group, (manifest) => manifest.manifest_length, policy.targetBytes)) {
      if (bin.length < 2) continue;
      // A DELETED entry records the removal by the snapshot that wrote it, not a later one's: dropped.
      const entries = await mapLimited(bin, MANIFEST_READS, (manifest) => existingEntries(storage, manifest));
      for (const manifest of bin) merged.add(manifest);
      result.push(await write(entries.flat(), specId));
    }
  }
  return [...carried.filter((manifest) => !merged.has(manifest)), ...result];
}
