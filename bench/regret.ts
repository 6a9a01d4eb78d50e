/**
 * Regret table: mean cumulative (pseudo-)regret of each bandit policy per
 * scenario, over several seeds, against uniform allocation.
 *
 *   npx tsx bench/regret.ts [visitors=10000] [seeds=20]
 */
import {
  POLICIES,
  SCENARIOS,
  expectedUniformRegret,
  regretTable,
  seedRange,
} from '../test/helpers/simulate';

const visitors = Number(process.argv[2] ?? 10_000);
const seedCount = Number(process.argv[3] ?? 20);
const seeds = seedRange(seedCount);

const started = performance.now();
const rows = regretTable(POLICIES, SCENARIOS, visitors, seeds);
const elapsed = (performance.now() - started) / 1000;

const uniform = rows.find((r) => r.policy === 'uniform');
const policyWidth = Math.max(...POLICIES.map((p) => p.length), 'expected uniform'.length);
const colWidth = Math.max(...SCENARIOS.map((s) => s.name.length)) + 2;

const cell = (value: number, baseline: number | undefined): string => {
  const pct = baseline ? ` (${Math.round((100 * value) / baseline)}%)` : '';
  return `${value.toFixed(1)}${pct}`.padStart(colWidth);
};

console.log(`Mean cumulative regret, ${visitors} visitors, ${seeds.length} seeds (% of uniform)\n`);
console.log('policy'.padEnd(policyWidth) + SCENARIOS.map((s) => s.name.padStart(colWidth)).join(''));
console.log(
  'expected uniform'.padEnd(policyWidth) +
    SCENARIOS.map((s) => cell(expectedUniformRegret(s.rates, visitors), undefined)).join(''),
);
for (const row of rows) {
  console.log(
    row.policy.padEnd(policyWidth) +
      row.regret.map((r, i) => cell(r, uniform?.regret[i])).join(''),
  );
}
console.log(`\n(${elapsed.toFixed(1)} s)`);
