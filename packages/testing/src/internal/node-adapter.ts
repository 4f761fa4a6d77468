import type { IncomingMessage, ServerResponse } from 'node:http';

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The origin the client used (from `Host`), so URLs the API returns, such as
 * a batch's `results_url`, work from the client's side whatever name or
 * address it connected to; `fallback` when there is no usable `Host`.
 */
function clientOrigin(request: IncomingMessage, fallback: string): string {
  const host = request.headers.host;
  if (!host) return fallback;
  try {
    return new URL(`http://${host}`).origin;
  } catch {
    return fallback;
  }
}

/** Converts a node:http request to a Web `Request` on the origin the client used. */
export async function toWebRequest(request: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const method = request.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(request);
  return new Request(new URL(request.url ?? '/', clientOrigin(request, origin)), {
    method,
    headers,
    ...(body && body.length > 0 ? { body: new Uint8Array(body) } : {}),
  });
}

/**
 * Writes a Web `Response` to a node:http response. `Response.error()` drops
 * the connection; a body stream that errors destroys the socket mid-stream.
 */
export async function sendWebResponse(response: Response, target: ServerResponse): Promise<void> {
  if (response.type === 'error') {
    target.socket?.destroy();
    target.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  target.writeHead(response.status, headers);
  target.flushHeaders();
  if (!response.body) {
    target.end();
    return;
  }
  const reader = response.body.getReader();
  // The client may have gone away while the response was being prepared (during
  // its first-byte latency): 'close' has fired already, so cancel at once.
  if (target.destroyed || target.socket?.destroyed) {
    await reader.cancel().catch(() => {});
    return;
  }
  target.on('close', () => {
    if (!target.writableFinished) void reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      target.write(value);
    }
    target.end();
  } catch {
    // The body failed mid-way (a simulated stream cut): close the connection
    // without finishing the chunked body, after flushing what was written.
    const socket = target.socket;
    if (socket) socket.end(() => socket.destroy());
    else target.destroy();
  }
}
