// Prices the cost case studies through the real @haiku-army/core: every
// request kind is priced with costOf() from the model catalog (exact
// nano-USD, per request, so long-context and batch rules apply per call)
// and then multiplied by how often it happens.
import { CATALOG_AS_OF, costOf, formatUsd } from '@haiku-army/core';
import { WORKLOADS } from './workloads.mjs';

function price(plan) {
  let total = 0;
  const lines = [];
  for (const kind of plan) {
    const each = costOf(kind.model, kind.usage).total;
    const cost = each * kind.count;
    total += cost;
    lines.push({ ...kind, each, cost });
  }
  return { total, lines };
}

const pad = (text, width) => String(text).padEnd(width);
const padLeft = (text, width) => String(text).padStart(width);

const json = process.argv.includes('--json');
const results = WORKLOADS.map((workload) => {
  const naive = price(workload.naive);
  const optimized = price(workload.optimized);
  const savings = naive.total - optimized.total;
  return { workload, naive, optimized, savings, ratio: savings / naive.total };
});

if (json) {
  console.log(
    JSON.stringify(
      results.map(({ workload, naive, optimized, savings, ratio }) => ({
        workload: workload.name,
        naiveNanoUsd: naive.total,
        optimizedNanoUsd: optimized.total,
        savingsNanoUsd: savings,
        savingsRatio: ratio,
      })),
      null,
      2,
    ),
  );
} else {
  console.log(
    `haiku-army cost estimate (prices as of ${CATALOG_AS_OF}, exact to the nano-dollar)\n`,
  );
  console.log(
    `${pad('Workload', 22)}${padLeft('Naive', 14)}${padLeft('Optimized', 14)}${padLeft('Savings', 14)}${padLeft('Saved', 8)}`,
  );
  console.log('-'.repeat(72));
  let naiveSum = 0;
  let optimizedSum = 0;
  for (const { workload, naive, optimized, savings, ratio } of results) {
    naiveSum += naive.total;
    optimizedSum += optimized.total;
    console.log(
      `${pad(workload.name, 22)}${padLeft(formatUsd(naive.total, { digits: 2 }), 14)}${padLeft(formatUsd(optimized.total, { digits: 2 }), 14)}` +
        `${padLeft(formatUsd(savings, { digits: 2 }), 14)}${padLeft(`${(ratio * 100).toFixed(1)}%`, 8)}`,
    );
  }
  console.log('-'.repeat(72));
  const saved = naiveSum - optimizedSum;
  console.log(
    `${pad('Total per month', 22)}${padLeft(formatUsd(naiveSum, { digits: 2 }), 14)}${padLeft(formatUsd(optimizedSum, { digits: 2 }), 14)}` +
      `${padLeft(formatUsd(saved, { digits: 2 }), 14)}${padLeft(`${((saved / naiveSum) * 100).toFixed(1)}%`, 8)}`,
  );
  for (const { workload, naive, optimized } of results) {
    console.log(`\n${workload.name}: ${workload.assumptions}`);
    for (const [name, plan] of [
      ['naive', naive],
      ['optimized', optimized],
    ]) {
      for (const line of plan.lines) {
        console.log(
          `  ${pad(name, 10)}${pad(line.label, 34)}${padLeft(line.count, 7)} x ${padLeft(formatUsd(line.each, { digits: 6 }), 10)} = ${padLeft(formatUsd(line.cost, { digits: 2 }), 10)}`,
        );
      }
    }
  }
}
