/**
 * `npm run bench [-- --json] [names…]`: runs the registered benchmarks one after another (never
 * in parallel: they would measure each other) and prints one table, or the results as JSON.
 * Exits 1 when a benchmark could not produce its numbers.
 */
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { cdcThroughput } from './cdc-throughput.js';
import { csvSync } from './csv-sync.js';
import { lakeAppend } from './lake-append.js';
import { lakeMerge } from './lake-merge.js';
import { mariadbFullSync } from './mariadb-full-sync.js';
import { buildCli, failedResult } from './measure.js';
import { pgFullSync } from './pg-full-sync.js';
import { verifyBench } from './verify.js';

const BENCHMARKS: readonly Benchmark[] = [
  pgFullSync,
  verifyBench,
  mariadbFullSync,
  csvSync,
  lakeAppend,
  lakeMerge,
  cdcThroughput,
];

function seconds(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(2)} s`;
}

function megabytes(bytes: number | null): string {
  return bytes === null ? '–' : `${Math.round(bytes / 1024 / 1024)} MB`;
}

function formatTable(results: readonly BenchmarkResult[]): string {
  const header = ['name', 'sluice', 'limit', 'ratio', 'peak RSS', 'note'];
  const rows = results.map((result) => [
    result.name,
    seconds(result.sluiceSeconds),
    seconds(result.limitSeconds),
    result.ratio === null ? '–' : `${result.ratio.toFixed(2)}×`,
    megabytes(result.peakRssBytes),
    result.note,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
    return 2;
  }
  const selected =
    names.length > 0 ? BENCHMARKS.filter((benchmark) => names.includes(benchmark.name)) : BENCHMARKS;
  buildCli();
  const results: BenchmarkResult[] = [];
  for (const benchmark of selected) {
    if (!json) console.error(`running ${benchmark.name} …`);
    try {
      results.push(await benchmark.run());
    } catch (error) {
      const note = error instanceof Error ? error.message : String(error);
      results.push(failedResult(benchmark.name, note));
    }
  }
  console.log(json ? JSON.stringify(results, null, 2) : formatTable(results));
  return results.some((result) => result.failed) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
