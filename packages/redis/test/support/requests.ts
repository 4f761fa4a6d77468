/** Whether a request to the fake carries a tool result (the worker's second turn or later). */
export function hasToolResult(request: { messages: { content: unknown }[] }): boolean {
  return request.messages.some(
    (message) =>
      Array.isArray(message.content) &&
      message.content.some((block: { type?: string }) => block.type === 'tool_result'),
  );
}
