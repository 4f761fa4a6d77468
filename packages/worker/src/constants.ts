/** Behaviour-changing defaults of the worker package, in one place. */

/** The model a worker uses when neither the task nor the worker names one. */
export const DEFAULT_WORKER_MODEL = 'claude-haiku-5-5';

/** `max_tokens` of each worker model call. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

/** Model calls one worker may make (the last one is asked to submit). */
export const DEFAULT_MAX_TURNS = 12;

/** Tokens (prompt + output, every call summed) one worker may use. */
export const DEFAULT_MAX_TOKENS = 400_000;

/** Wall time one worker may take, ms. */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** A summary's cap, in tokens counted with core's `estimateTextTokens`. */
export const DEFAULT_SUMMARY_TOKEN_CAP = 300;

/** A tool result longer than this (characters) is cut before it reaches the model. */
export const DEFAULT_MAX_TOOL_RESULT_CHARS = 50_000;

/** Concurrent workers in a pool. */
export const DEFAULT_POOL_CONCURRENCY = 8;

/** The name of the tool a worker ends with. */
export const SUBMIT_RESULT_TOOL = 'submit_result';

/** Codebase tools: entries per `list_files` page. */
export const DEFAULT_LIST_LIMIT = 200;

/** Codebase tools: matches `grep` returns before it stops. */
export const DEFAULT_GREP_MAX_MATCHES = 100;

/** Codebase tools: most context lines `grep` shows around a match. */
export const MAX_GREP_CONTEXT_LINES = 10;

/** Codebase tools: files larger than this are skipped by `grep`, bytes. */
export const DEFAULT_GREP_MAX_FILE_BYTES = 1_048_576;

/** Codebase tools: files larger than this are refused by `read_file`, bytes. */
export const DEFAULT_READ_MAX_FILE_BYTES = 16_777_216;

/**
 * Codebase tools: longest time `grep`'s regular expression may run over one
 * file, ms. Sane patterns take a few ms on a 1 MiB file; one that takes
 * longer is backtracking catastrophically and is refused.
 */
export const DEFAULT_GREP_TIMEOUT_MS = 250;

/** Codebase tools: bytes `read_file` returns at most. */
export const DEFAULT_READ_MAX_BYTES = 65_536;

/** Codebase tools: longest path (in characters) the sandbox accepts. */
export const DEFAULT_MAX_PATH_LENGTH = 1_024;

/** Codebase tools: bytes inspected for a NUL byte to tell binary files apart. */
export const BINARY_SNIFF_BYTES = 8_000;

/** Directory names the codebase tools never enter. */
export const ALWAYS_SKIPPED_DIRECTORIES: readonly string[] = ['.git', 'node_modules'];

/** Most `cache_control` breakpoints one Messages request may carry (the API's limit). */
export const MAX_CACHE_BREAKPOINTS = 4;

/** Tool error messages a worker result keeps (`toolErrorMessages`). */
export const TOOL_ERROR_MESSAGES_KEPT = 3;

/** Each kept tool error message is cut to this many characters. */
export const TOOL_ERROR_MESSAGE_CHARS = 200;

/** The name the budget's error messages give a worker's output allowance. */
export const MAX_OUTPUT_TOKENS_LABEL = 'limits.maxOutputTokens';
