import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countBlockTokens,
  countPdfPages,
  createFakeAnthropic,
  IMAGE_MAX_TOKENS,
  imageTokensFor,
  PDF_PAGE_TOKENS,
  PDF_UNREADABLE_PAGES,
} from '../src/index.js';
import { call } from './helpers.js';

function png(width: number, height: number): string {
  const bytes = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes, 0);
  bytes.writeUInt32BE(13, 8);
  bytes.write('IHDR', 12, 'latin1');
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes.toString('base64');
}

function jpeg(width: number, height: number): string {
  const app0 = Buffer.from([
    0xff,
    0xe0,
    0x00,
    0x10,
    ...Buffer.from('JFIF\0'),
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
  ]);
  const sof = Buffer.alloc(19);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]).toString('base64');
}

function gif(width: number, height: number): string {
  const bytes = Buffer.alloc(13);
  bytes.write('GIF89a', 0, 'latin1');
  bytes.writeUInt16LE(width, 6);
  bytes.writeUInt16LE(height, 8);
  return bytes.toString('base64');
}

function webp(width: number, height: number): string {
  const bytes = Buffer.alloc(30);
  bytes.write('RIFF', 0, 'latin1');
  bytes.write('WEBP', 8, 'latin1');
  bytes.write('VP8X', 12, 'latin1');
  bytes.writeUIntLE(width - 1, 24, 3);
  bytes.writeUIntLE(height - 1, 27, 3);
  return bytes.toString('base64');
}

function pdf(pages: number): string {
  const objects = Array.from(
    { length: pages },
    (_, index) => `${index + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj`,
  );
  return Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count ${pages} >> endobj\n${objects.join('\n')}\n%%EOF`,
    'latin1',
  ).toString('base64');
}

const image = (source: object) => ({ type: 'image', source });
const base64Image = (mediaType: string, data: string) =>
  image({ type: 'base64', media_type: mediaType, data });

describe('images', () => {
  it('bill ceil(w*h/750) after fitting a 1568 px long edge, at most 1600', () => {
    expect(imageTokensFor(200, 200)).toBe(54); // 40,000 / 750 = 53.3
    expect(imageTokensFor(1000, 500)).toBe(667);
    expect(imageTokensFor(1092, 1092)).toBe(1590);
    expect(imageTokensFor(3136, 100)).toBe(105); // scaled to 1568 x 50
    expect(imageTokensFor(4000, 3000)).toBe(IMAGE_MAX_TOKENS);
  });

  it('read the size from PNG, JPEG, GIF and WebP headers; anything else bills the cap', () => {
    expect(countBlockTokens(base64Image('image/png', png(1000, 500)))).toBe(667);
    expect(countBlockTokens(base64Image('image/jpeg', jpeg(1000, 500)))).toBe(667);
    expect(countBlockTokens(base64Image('image/gif', gif(200, 200)))).toBe(54);
    expect(countBlockTokens(base64Image('image/webp', webp(200, 200)))).toBe(54);
    expect(countBlockTokens(base64Image('image/png', 'bm90IGFuIGltYWdl'))).toBe(1600);
    expect(countBlockTokens(image({ type: 'url', url: 'https://example.com/a.png' }))).toBe(1600);
    expect(countBlockTokens(image({ type: 'file', file_id: 'file_1' }))).toBe(1600);
  });

  it('never bill more than 1600 tokens (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.integer({ min: 1, max: 30_000 }),
        (width, height) => {
          const tokens = countBlockTokens(base64Image('image/png', png(width, height)));
          expect(tokens).toBe(imageTokensFor(width, height));
          expect(tokens).toBeGreaterThanOrEqual(1);
          expect(tokens).toBeLessThanOrEqual(IMAGE_MAX_TOKENS);
        },
      ),
    );
  });
});

describe('documents', () => {
  const document = (source: object, extra: object = {}) => ({ type: 'document', source, ...extra });

  it('bill a PDF per page, a PDF by URL or file id a fixed page count, text as text', () => {
    expect(countPdfPages(Buffer.from(pdf(3), 'base64'))).toBe(3);
    expect(
      countBlockTokens(document({ type: 'base64', media_type: 'application/pdf', data: pdf(3) })),
    ).toBe(3 * PDF_PAGE_TOKENS);
    expect(countBlockTokens(document({ type: 'url', url: 'https://example.com/a.pdf' }))).toBe(
      PDF_UNREADABLE_PAGES * PDF_PAGE_TOKENS,
    );
    expect(countBlockTokens(document({ type: 'file', file_id: 'file_1' }))).toBe(
      PDF_UNREADABLE_PAGES * PDF_PAGE_TOKENS,
    );
    // No page object found: the fixed count.
    expect(
      countBlockTokens(
        document({ type: 'base64', media_type: 'application/pdf', data: 'bm90IGEgcGRm' }),
      ),
    ).toBe(PDF_UNREADABLE_PAGES * PDF_PAGE_TOKENS);
    // Plain text (2 tokens) plus its title (1) and context (2).
    expect(
      countBlockTokens(
        document(
          { type: 'text', media_type: 'text/plain', data: 'word word' },
          { title: 'word', context: 'word word' },
        ),
      ),
    ).toBe(5);
    expect(
      countBlockTokens(
        document({
          type: 'content',
          content: [{ type: 'text', text: 'word word' }, base64Image('image/png', png(200, 200))],
        }),
      ),
    ).toBe(2 + 54);
  });
});

describe('count_tokens and the bill agree on images and documents', () => {
  it('returns exactly the input the same request is billed, cached or not', async () => {
    const fake = createFakeAnthropic({ latency: 0, defaultResponder: () => 'ok' });
    const content = [
      base64Image('image/png', png(1000, 500)),
      image({ type: 'url', url: 'https://example.com/a.png' }),
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf(2) } },
      { type: 'document', source: { type: 'file', file_id: 'file_1' }, title: 'report' },
      {
        type: 'tool_result',
        tool_use_id: 'toolu_1',
        content: [base64Image('image/jpeg', jpeg(300, 300))],
      },
      { type: 'text', text: 'What do these show?', cache_control: { type: 'ephemeral' } },
    ];
    const body = {
      model: 'claude-haiku-5-5',
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'look', input: {} }],
        },
        { role: 'user', content },
      ],
    };
    const counted = (await (await call(fake, '/v1/messages/count_tokens', body)).json()) as {
      input_tokens: number;
    };
    const expected =
      3 +
      1 +
      2 + // the assistant message: overhead, "look", "{}"
      3 +
      667 +
      1600 +
      2 * PDF_PAGE_TOKENS +
      (2 + PDF_UNREADABLE_PAGES * PDF_PAGE_TOKENS) +
      120 +
      6; // 300 x 300 -> 120; "What do these show?" -> 6
    expect(counted.input_tokens).toBe(expected);
    for (const round of ['write', 'read']) {
      const message = (await (
        await call(fake, '/v1/messages', { ...body, max_tokens: 5 })
      ).json()) as any;
      const usage = message.usage;
      expect(
        usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens,
      ).toBe(counted.input_tokens);
      expect(
        round === 'write' ? usage.cache_creation_input_tokens : usage.cache_read_input_tokens,
      ).toBe(counted.input_tokens);
    }
  });
});
