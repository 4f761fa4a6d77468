import { TOOL_ERROR_MESSAGE_CHARS, TOOL_ERROR_MESSAGES_KEPT } from '../constants.js';

/**
 * Counts a run's tool calls that came back as errors and keeps the first
 * few messages, cut short, so a result can tell "no matches" from "that
 * path is outside the root" without its transcript.
 */
export class ToolErrorLog {
  #count = 0;
  readonly #messages: string[] = [];

  /** Records one `is_error` tool result. */
  add(toolName: string, content: string): void {
    this.#count += 1;
    if (this.#messages.length >= TOOL_ERROR_MESSAGES_KEPT) return;
    const message = `${toolName}: ${content.replace(/\s+/g, ' ').trim()}`;
    this.#messages.push(
      message.length <= TOOL_ERROR_MESSAGE_CHARS
        ? message
        : `${message.slice(0, TOOL_ERROR_MESSAGE_CHARS - 1)}…`,
    );
  }

  get count(): number {
    return this.#count;
  }

  get messages(): string[] {
    return [...this.#messages];
  }
}
