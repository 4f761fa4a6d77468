/**
 * Small string helpers.
 */

/**
 * Lower-cases a title and joins its words with dashes, dropping other characters.
 * @example
 * slugify('Hello, World!') // => 'hello-world'
 */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Upper-cases the first letter.
 * @example
 * capitalize('army') // => 'Army'
 */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Cuts a text to `max` characters, ending it with an ellipsis when cut.
 * @example
 * truncate('haiku army', 6) // => 'haiku…'
 * truncate('short', 10) // => 'short'
 */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
