/** The text blocks of a Messages response, joined. */
export function messageText(message: { content: readonly { type: string }[] }): string {
  return message.content
    .filter((block): block is { type: 'text'; text: string } => block.type === 'text')
    .map((block) => block.text)
    .join('');
}
