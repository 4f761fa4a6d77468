import { open } from 'node:fs/promises';
import { BINARY_SNIFF_BYTES } from '../constants.js';

/**
 * Git's rule: a file with a NUL byte in its first few kilobytes is binary.
 * Cheap and right for source trees; no library needed for one loop.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, BINARY_SNIFF_BYTES);
  for (let index = 0; index < end; index++) if (bytes[index] === 0) return true;
  return false;
}

/** Reads the first bytes of a file and applies {@link looksBinary}. */
export async function fileLooksBinary(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(BINARY_SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, BINARY_SNIFF_BYTES, 0);
    return looksBinary(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
