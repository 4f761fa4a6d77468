import { z } from 'zod';
import { API_VERSION } from '../constants.js';
import type { MessageRequest } from '../wire-types.js';

const cacheControl = z.object({
  type: z.literal('ephemeral'),
  ttl: z.enum(['5m', '1h']).optional(),
});

const contentBlock = z.looseObject({
  type: z.string(),
  cache_control: cacheControl.nullish(),
});

const message = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const tool = z.looseObject({
  name: z.string().min(1),
  cache_control: cacheControl.nullish(),
});

const systemBlock = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl.nullish(),
});

const promptFields = {
  model: z.string().min(1),
  messages: z.array(message).min(1, 'at least one message is required'),
  system: z.union([z.string(), z.array(systemBlock)]).optional(),
  tools: z.array(tool).optional(),
  cache_control: cacheControl.nullish(),
};

/** `POST /v1/messages` body. */
export const messageRequestSchema = z.looseObject({
  ...promptFields,
  max_tokens: z.int().min(1),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  output_config: z
    .looseObject({
      format: z
        .object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) })
        .nullish(),
    })
    .optional(),
});

/** `POST /v1/messages/count_tokens` body. */
export const countTokensRequestSchema = z.looseObject(promptFields);

/** Sampling parameters the API version this fake implements no longer accepts. */
const REMOVED_PARAMETERS = ['temperature', 'top_p', 'top_k'] as const;

/** A parsed body, or the 400 message for it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Validates a body against a schema, with the API's message style for the
 * first problem (`max_tokens: Field required`).
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): Parsed<z.output<T>> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.') || 'body';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return { ok: false, message: `${path}: ${missing ? 'Field required' : issue.message}` };
}

/**
 * Validates a Messages (or count_tokens) body: the removed sampling
 * parameters first, then the schema.
 */
export function parseRequest(
  schema: typeof messageRequestSchema | typeof countTokensRequestSchema,
  body: unknown,
): Parsed<MessageRequest> {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const name of REMOVED_PARAMETERS) {
      if (name in body) {
        return {
          ok: false,
          message: `${name}: Extra inputs are not permitted. \`${name}\` is not supported in API version ${API_VERSION}; remove it.`,
        };
      }
    }
  }
  return parseBody(schema, body) as Parsed<MessageRequest>;
}
