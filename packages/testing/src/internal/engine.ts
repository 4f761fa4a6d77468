import { countRequestTokens } from '../token-counter.js';
import type { TranscriptEntry } from '../transcript.js';
import { handleBatches } from './batches-endpoint.js';
import type { EngineState } from './engine-state.js';
import { errorResponse, invalidRequest, jsonResponse, notFound } from './http.js';
import { createMessage } from './messages-endpoint.js';
import { countTokensRequestSchema, parseRequest } from './request-schema.js';

const NO_BODY = Symbol('no body');

/** The path under the API's base path (`/v1/...`), or `undefined` when outside it. */
function apiPath(pathname: string, basePath: string): string | undefined {
  if (!basePath) return pathname;
  if (pathname === basePath || pathname.startsWith(`${basePath}/`)) {
    return pathname.slice(basePath.length) || '/';
  }
  return undefined;
}

function credentials(headers: Headers): string | undefined {
  const apiKey = headers.get('x-api-key');
  if (apiKey) return apiKey;
  const authorization = headers.get('authorization');
  const match = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return match?.[1]?.trim() || undefined;
}

/**
 * The framework-agnostic core of the fake API: a Web `Request` in, a Web
 * `Response` out. msw and the node:http server both call this, so the API
 * is written once. A dropped connection is a `Response.error()`; a stream cut
 * is a body stream that errors.
 */
export class FakeAnthropicEngine {
  constructor(readonly state: EngineState) {}

  async handle(request: Request): Promise<Response> {
    const state = this.state;
    const url = new URL(request.url);
    const requestId = state.nextId('request');
    const path = apiPath(url.pathname, state.basePath);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
    let body: unknown = NO_BODY;
    let badJson = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        badJson = true;
      }
    }
    const model =
      body && typeof body === 'object' && typeof (body as { model?: unknown }).model === 'string'
        ? (body as { model: string }).model
        : undefined;
    const entry: TranscriptEntry = state.transcript.record({
      requestId,
      time: state.now(),
      source: 'http',
      method: request.method,
      path: path ?? url.pathname,
      headers,
      body: body === NO_BODY ? undefined : body,
      ...(model !== undefined ? { model } : {}),
      stream: (body as { stream?: unknown } | undefined)?.stream === true,
    });
    let response: Response;
    try {
      response = await this.#route(request, url, path, requestId, {
        body: body === NO_BODY ? undefined : body,
        badJson,
      });
    } catch (error) {
      response = errorResponse(requestId, {
        status: 500,
        type: 'api_error',
        message: `The fake API failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    entry.status = response.type === 'error' ? 0 : response.status;
    return response;
  }

  async #route(
    request: Request,
    url: URL,
    path: string | undefined,
    requestId: string,
    { body, badJson }: { body: unknown; badJson: boolean },
  ): Promise<Response> {
    const state = this.state;
    const key = credentials(request.headers);
    if (!key) {
      return errorResponse(requestId, {
        status: 401,
        type: 'authentication_error',
        message: 'x-api-key header is required',
      });
    }
    if (state.apiKeys && !state.apiKeys.has(key)) {
      return errorResponse(requestId, {
        status: 401,
        type: 'authentication_error',
        message: 'invalid x-api-key',
      });
    }
    if (!request.headers.get('anthropic-version')) {
      return invalidRequest(requestId, 'anthropic-version: header is required');
    }
    if (badJson) return invalidRequest(requestId, 'The request body is not valid JSON.');

    const parts = (path ?? '').replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'v1')
      return notFound(requestId, `Not found: ${request.method} ${url.pathname}`);
    const method = request.method.toUpperCase();

    if (parts[1] === 'messages' && parts.length === 2 && method === 'POST') {
      return createMessage(state, requestId, body);
    }
    if (
      parts[1] === 'messages' &&
      parts[2] === 'count_tokens' &&
      parts.length === 3 &&
      method === 'POST'
    ) {
      const parsed = parseRequest(countTokensRequestSchema, body);
      if (!parsed.ok) return invalidRequest(requestId, parsed.message);
      if (!state.catalog.has(parsed.value.model))
        return notFound(requestId, `model: ${parsed.value.model}`);
      return jsonResponse(requestId, { input_tokens: countRequestTokens(parsed.value) });
    }
    if (parts[1] === 'messages' && parts[2] === 'batches') {
      return handleBatches(
        state,
        requestId,
        { method, rest: parts.slice(3), url, apiBase: `${url.origin}${state.basePath}` },
        body,
      );
    }
    if (parts[1] === 'models' && method === 'GET') {
      const models = state.catalog.list().map((info) => ({
        type: 'model',
        id: info.id,
        display_name: info.displayName,
        created_at: '2026-01-01T00:00:00Z',
        max_input_tokens: info.contextWindow,
        max_tokens: info.maxOutputTokens,
      }));
      if (parts.length === 2) {
        return jsonResponse(requestId, {
          data: models,
          has_more: false,
          first_id: models[0]?.id ?? null,
          last_id: models.at(-1)?.id ?? null,
        });
      }
      const info = state.catalog.find(parts[2] ?? '');
      const found = info && models.find((item) => item.id === info.id);
      return found ? jsonResponse(requestId, found) : notFound(requestId, `model: ${parts[2]}`);
    }
    return notFound(requestId, `Not found: ${request.method} ${url.pathname}`);
  }
}
