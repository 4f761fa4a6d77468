import { CATALOG_AS_OF, listModels, type NanoUsd } from '@haiku-army/core';
import type { ResolvedIo } from '../cli-io.js';
import { toJson } from '../errors.js';
import { table } from '../view/format.js';

/** nano-USD per token as dollars per million tokens (`$0.10`, `$0.125`). */
export function perMillion(nanoPerToken: NanoUsd): string {
  const text = (nanoPerToken / 1000).toFixed(3);
  return `$${text.endsWith('0') ? text.slice(0, -1) : text}`;
}

/** `army models`: the catalog with prices per million tokens and its as-of date. */
export function modelsCommand(flags: { json?: boolean }, io: ResolvedIo): number {
  const models = listModels();
  if (flags.json) {
    io.out(toJson({ asOf: CATALOG_AS_OF, models }));
    return 0;
  }
  io.out(
    table(
      [
        'model',
        'tier',
        'input',
        'output',
        'cache write 5m',
        'cache write 1h',
        'cache read',
        'context',
        'max output',
      ],
      models.map((model) => [
        model.id,
        model.tier,
        perMillion(model.prices.input),
        perMillion(model.prices.output),
        perMillion(model.prices.cacheWrite5m),
        perMillion(model.prices.cacheWrite1h),
        perMillion(model.prices.cacheRead),
        model.contextWindow.toLocaleString('en-US'),
        model.maxOutputTokens.toLocaleString('en-US'),
      ]),
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  const long = models.filter((model) => model.longContext);
  for (const model of long)
    io.out(
      `${model.id}: a prompt over ${model.longContext!.thresholdTokens.toLocaleString('en-US')} tokens is billed at ${perMillion(model.longContext!.prices.input)} input / ${perMillion(model.longContext!.prices.output)} output.`,
    );
  io.out(
    `Prices in US dollars per million tokens, as of ${CATALOG_AS_OF}. Batch requests cost half.`,
  );
  return 0;
}
