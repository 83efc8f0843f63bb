// The result table (markdown, to stdout and bench/results/latest.md) and bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Row } from './bench';

export interface Meta {
  date: string;
  durationS: number;
  node: string;
  cpus: number;
  cpuModel: string;
  pinning: string[];
  tools: string[];
  notes: string[];
}

const cell = (value: number | string | null): string => {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'n/a';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
};

export function markdown(meta: Meta, rows: Row[]): string {
  const judged = rows.filter((r) => r.met !== null);
  const missed = judged.filter((r) => r.met === false);
  const lines = [
    `# npm run bench — ${meta.date}`,
    '',
    `Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpuModel}), total run time ${meta.durationS} s.`,
    '',
    ...meta.pinning.map((line) => `- ${line}`),
    ...meta.tools.map((line) => `- ${line}`),
    '',
    `Targets and checks met: ${judged.length - missed.length} of ${judged.length}${missed.length ? ` (missed: ${missed.map((r) => `${r.scenario} ${r.metric}`).join('; ')})` : ''}.`,
    '',
    '| Scenario | Metric | App | Baseline | Ratio | Target | Met |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.metric} | ${cell(r.app)} | ${cell(r.baseline)} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} | ${r.target} | ${
          r.met === null ? '' : r.met ? 'yes' : '**no**'
        } |`,
    ),
    '',
    'Baselines: S1/S2 = B1 (bare Express 5 + express-session + connect-redis + ioredis, same cookie settings, session of the same fields; S2 adds the same axios call to the emulator); S3 = BF (minimal flow skeleton); S5 = the same page with ~100 sessions in Redis; S6 = one instance behind the same proxy.',
    '',
    '## Notes',
    '',
    ...meta.notes.map((line) => `- ${line}`),
    '',
  ];
  return lines.join('\n');
}

export function writeResults(dir: string, meta: Meta, rows: Row[], scenarios: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const md = markdown(meta, rows);
  writeFileSync(path.join(dir, 'latest.md'), md);
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify({ meta, rows, scenarios }, null, 2)}\n`);
  return md;
}
