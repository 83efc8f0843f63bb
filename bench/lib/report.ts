// The result tables: one run's full table, and for several runs (`--runs 3`) a summary with each
// judged row's value in every run and its range, first. Written to bench/results/latest.md (and
// latest.json with the raw runs); the summary can also replace the table in the README.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Row } from './bench';
import { median } from './stats';

export interface Meta {
  date: string;
  durationS: number;
  node: string;
  cpus: number;
  cpuModel: string;
  /** os.loadavg() at the start and at the end of the run. */
  load: { start: number[]; end: number[] };
  pinning: string[];
  tools: string[];
  notes: string[];
}

export interface RunResult {
  meta: Meta;
  rows: Row[];
  data: Record<string, unknown>;
}

export const cell = (value: number | string | null): string => {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'n/a';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
};

const loadText = (load: number[]) => load.map((n) => n.toFixed(2)).join(' ');
const met = (row: Row) => (row.met === null ? '' : row.met ? 'yes' : '**no**');

export function runTable(rows: Row[]): string[] {
  return [
    '| Scenario | Metric | App | Baseline | Ratio | Target | Met |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map((r) => `| ${r.scenario} | ${r.metric} | ${cell(r.app)} | ${cell(r.baseline)} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} | ${r.target} | ${met(r)} |`),
  ];
}

function runSection(title: string, run: RunResult): string[] {
  const judged = run.rows.filter((r) => r.met !== null);
  const missed = judged.filter((r) => r.met === false);
  return [
    `## ${title}`,
    '',
    `${run.meta.date}, ${run.meta.durationS} s; load average (1/5/15 min) ${loadText(run.meta.load.start)} at the start, ${loadText(run.meta.load.end)} at the end.`,
    '',
    `Targets and checks met: ${judged.length - missed.length} of ${judged.length}${missed.length ? ` (missed: ${missed.map((r) => `${r.scenario} ${r.metric}`).join('; ')})` : ''}.`,
    '',
    ...runTable(run.rows),
    '',
    ...run.meta.notes.map((line) => `- ${line}`),
    '',
  ];
}

/** A metric's name without the rate a run derived from its own baseline (`@ 1395/s`): the same row in every run. */
const metricKey = (metric: string) => metric.replace(/ @ [\d,.]+\/s/, ' @ a fixed rate');

/** The judged rows of several runs side by side: value per run, the range, and whether every run met it. */
export function summaryTable(runs: RunResult[]): string[] {
  const first = runs[0];
  if (!first) return [];
  const lines = [
    `| Scenario | Metric | App (median of runs) | Baseline | Ratio per run | Ratio range | Target | Met in |`,
    '| --- | --- | ---: | ---: | --- | --- | --- | --- |',
  ];
  first.rows.forEach((row, index) => {
    if (row.kind !== 'target' && row.kind !== 'check') return;
    const same = runs.map((run) => run.rows[index]).filter((r): r is Row => r !== undefined && metricKey(r.metric) === metricKey(row.metric));
    const numeric = (value: number | string | null) => (typeof value === 'number' ? value : Number.NaN);
    const ratios = same.map((r) => r.ratio).filter((r): r is number => r !== null);
    const range = ratios.length ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` : '';
    lines.push(
      `| ${row.scenario} | ${metricKey(row.metric)} | ${cell(median(same.map((r) => numeric(r.app))))} | ${row.baseline === null ? '' : cell(median(same.map((r) => numeric(r.baseline))))} | ${ratios.map((r) => r.toFixed(2)).join(' / ')} | ${range} | ${row.target} | ${same.filter((r) => r.met).length} of ${same.length} |`,
    );
  });
  return lines;
}

export function markdown(title: string, runs: RunResult[]): string {
  const first = runs[0];
  if (!first) return '';
  const { meta } = first;
  const lines = [
    `# ${title}`,
    '',
    `Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpuModel}); ${runs.length} full run${runs.length > 1 ? 's' : ''}, each with its own processes.`,
    '',
    ...meta.pinning.map((line) => `- ${line}`),
    ...meta.tools.map((line) => `- ${line}`),
    '',
    ...(runs.length > 1 ? ['## Summary', '', ...summaryTable(runs), ''] : []),
    ...runs.flatMap((run, i) => runSection(runs.length > 1 ? `Run ${i + 1}` : 'Results', run)),
  ];
  return lines.join('\n');
}

export function writeResults(dir: string, name: string, title: string, runs: RunResult[]): string {
  mkdirSync(dir, { recursive: true });
  const md = markdown(title, runs);
  writeFileSync(path.join(dir, `${name}.md`), md);
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(runs, null, 2)}\n`);
  return md;
}

const README_START = '<!-- bench:summary:start -->';
const README_END = '<!-- bench:summary:end -->';

/** Replaces the README's table between the bench:summary markers with the summary of these runs. */
export function updateReadme(readmePath: string, runs: RunResult[]): void {
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end < start) throw new Error(`README has no ${README_START} … ${README_END} markers`);
  const first = runs[0];
  const caption = first
    ? `${runs.length} full runs of \`npm run bench\` on ${first.meta.date.slice(0, 10)}, Node ${first.meta.node}, ${first.meta.cpus} CPUs; load average at the start of each (the benchmark's own processes included): ${runs.map((r) => r.meta.load.start[0]?.toFixed(2)).join(', ')}.`
    : '';
  const body = [README_START, caption, '', ...summaryTable(runs), README_END].join('\n');
  writeFileSync(readmePath, readme.slice(0, start) + body + readme.slice(end + README_END.length));
}
