import {
  IMAGE_MAX_EDGE_PX,
  IMAGE_MAX_TOKENS,
  IMAGE_PIXELS_PER_TOKEN,
  PDF_PAGE_TOKENS,
  PDF_UNREADABLE_PAGES,
} from './constants.js';
import { readImageSize } from './internal/image-size.js';

/**
 * How the fake bills images and documents. A SIMULATION with a documented
 * rule, modelled on the vendor's published guidance:
 *
 * - an image is scaled to fit a {@link IMAGE_MAX_EDGE_PX} px long edge, then
 *   bills ceil(width x height / {@link IMAGE_PIXELS_PER_TOKEN}) tokens, at most
 *   {@link IMAGE_MAX_TOKENS}. The size is read from a base64 PNG, JPEG, GIF or
 *   WebP header; an image by URL or file id, or one whose header cannot be
 *   read, bills the cap;
 * - a PDF bills {@link PDF_PAGE_TOKENS} per page. Pages are the PDF's page
 *   objects (`/Type /Page`); a PDF by URL or file id, or one with no page the
 *   fake can find, bills {@link PDF_UNREADABLE_PAGES} pages;
 * - a plain-text document bills its text, a content document its blocks;
 * - every document also bills its `title` and `context` text.
 */

function decodeBase64(data: unknown): Uint8Array | undefined {
  if (typeof data !== 'string') return undefined;
  return Buffer.from(data, 'base64');
}

/** Tokens of an image of `width` x `height` px under the fake's rule. */
export function imageTokensFor(width: number, height: number): number {
  let w = width;
  let h = height;
  const longEdge = Math.max(w, h);
  if (longEdge > IMAGE_MAX_EDGE_PX) {
    w = Math.max(1, Math.floor((w * IMAGE_MAX_EDGE_PX) / longEdge));
    h = Math.max(1, Math.floor((h * IMAGE_MAX_EDGE_PX) / longEdge));
  }
  return Math.min(IMAGE_MAX_TOKENS, Math.max(1, Math.ceil((w * h) / IMAGE_PIXELS_PER_TOKEN)));
}

/** Tokens of an `image` content block. */
export function countImageTokens(block: { source?: unknown }): number {
  const source = block.source as { type?: unknown; data?: unknown } | undefined;
  if (source?.type !== 'base64') return IMAGE_MAX_TOKENS;
  const bytes = decodeBase64(source.data);
  const size = bytes && readImageSize(bytes);
  return size ? imageTokensFor(size.width, size.height) : IMAGE_MAX_TOKENS;
}

/**
 * Pages of a PDF: its page objects (`/Type /Page`, not `/Pages`), or else
 * the largest `/Count` of a page tree; 0 when neither is found (for example
 * when every object is in a compressed object stream).
 */
export function countPdfPages(bytes: Uint8Array): number {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const pages = text.match(/\/Type\s*\/Page(?![A-Za-z0-9])/g)?.length ?? 0;
  if (pages > 0) return pages;
  let count = 0;
  for (const match of text.matchAll(/\/Type\s*\/Pages\b[^>]*?\/Count\s+(\d+)/g)) {
    count = Math.max(count, Number(match[1]));
  }
  return count;
}

/**
 * Tokens of a `document` content block. `countBlocks` counts the blocks of
 * a `content` source (the token counter passes its own).
 */
export function countDocumentTokens(
  block: { source?: unknown; title?: unknown; context?: unknown },
  countText: (text: string) => number,
  countBlocks: (blocks: readonly unknown[]) => number,
): number {
  const extra =
    (typeof block.title === 'string' ? countText(block.title) : 0) +
    (typeof block.context === 'string' ? countText(block.context) : 0);
  const source = block.source as { type?: unknown; data?: unknown; content?: unknown } | undefined;
  switch (source?.type) {
    case 'text':
      return extra + countText(String(source.data ?? ''));
    case 'content': {
      const content = source.content;
      if (typeof content === 'string') return extra + countText(content);
      return extra + (Array.isArray(content) ? countBlocks(content) : 0);
    }
    case 'base64': {
      const bytes = decodeBase64(source.data);
      const pages = bytes ? countPdfPages(bytes) : 0;
      return extra + PDF_PAGE_TOKENS * (pages > 0 ? pages : PDF_UNREADABLE_PAGES);
    }
    default:
      // By URL or file id: the fake never sees the bytes.
      return extra + PDF_PAGE_TOKENS * PDF_UNREADABLE_PAGES;
  }
}
