/**
 * SIMULATION helper: what the simulated file-writing worker "understands" of
 * a source file. A few regular expressions over TypeScript / JavaScript
 * text, not a parser: enough for deterministic offline demos of test and
 * doc generation, never a substitute for a model reading the code.
 */

/** One `@example` line of the form `call(args) // => expected`. */
export interface SourceExample {
  /** The expression, e.g. `slugify('Hello World')`. */
  call: string;
  /** The expected value as source text, e.g. `'hello-world'`. */
  expected: string;
}

/** One exported declaration found in a source file. */
export interface SourceExport {
  name: string;
  /** `type` covers `interface` and `type` aliases (nothing to import at run time). */
  kind: 'function' | 'class' | 'const' | 'type';
  /** The declaration's first line, trimmed of `export` and a trailing `{`. */
  signature: string;
  /** The first paragraph of its doc comment, when it has one. */
  doc?: string;
  /** Its `@example` lines that state a result (`// =>`). */
  examples: SourceExample[];
}

/** What {@link outlineSource} found. */
export interface SourceOutline {
  /** The first paragraph of a doc comment at the top of the file. */
  description?: string;
  exports: SourceExport[];
}

const DECLARATION =
  /^export\s+(?:default\s+)?(?:declare\s+)?(async\s+function\*?|function\*?|class|abstract\s+class|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;
const ARROW = /=\s*(?:async\s+)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::[^=]+)?=>/;
const EXAMPLE = /^(.+?)\s*\/\/\s*=>\s*(.+)$/;

function kindOf(keyword: string, line: string): SourceExport['kind'] {
  if (keyword.includes('function')) return 'function';
  if (keyword.includes('class')) return 'class';
  if (keyword === 'interface' || keyword === 'type') return 'type';
  return ARROW.test(line) ? 'function' : 'const';
}

/** A doc comment's lines without the comment markers. */
function commentLines(block: readonly string[]): string[] {
  return block.map((line) =>
    line
      .replace(/^\s*\/\*\*?/, '')
      .replace(/\*\/\s*$/, '')
      .replace(/^\s*\* ?/, '')
      .trimEnd(),
  );
}

function firstParagraph(lines: readonly string[]): string | undefined {
  const paragraph: string[] = [];
  for (const line of lines) {
    if (line.trim() === '' ? paragraph.length > 0 : line.trim().startsWith('@')) break;
    if (line.trim() !== '') paragraph.push(line.trim());
  }
  return paragraph.length > 0 ? paragraph.join(' ') : undefined;
}

function examplesOf(lines: readonly string[]): SourceExample[] {
  const examples: SourceExample[] = [];
  let inExample = false;
  for (const line of lines) {
    const text = line.trim();
    if (text.startsWith('@')) {
      inExample = text.startsWith('@example');
      const rest = text.slice('@example'.length).trim();
      if (!inExample || rest === '') continue;
      const match = EXAMPLE.exec(rest);
      if (match) examples.push({ call: match[1]!.trim(), expected: match[2]!.trim() });
      continue;
    }
    const match = inExample ? EXAMPLE.exec(text) : null;
    if (match) examples.push({ call: match[1]!.trim(), expected: match[2]!.trim() });
  }
  return examples;
}

/**
 * The exported declarations of a TypeScript or JavaScript file, each with
 * the doc comment right above it (first paragraph and `@example ... // =>`
 * lines), and the file's own leading doc comment. SIMULATION: regular
 * expressions over lines, good for plain modules only.
 */
export function outlineSource(text: string): SourceOutline {
  const lines = text.split(/\r?\n/);
  const exports: SourceExport[] = [];
  let description: string | undefined;
  let comment: string[] | undefined;
  let open: string[] | undefined;
  let seenCode = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (open) {
      open.push(raw);
      if (line.endsWith('*/')) {
        comment = open;
        open = undefined;
      }
      continue;
    }
    if (line.startsWith('/**')) {
      if (line.endsWith('*/') && line.length > 4) comment = [raw];
      else open = [raw];
      continue;
    }
    if (line === '') continue;
    const declaration = DECLARATION.exec(line);
    const docLines = comment ? commentLines(comment) : [];
    // A doc comment before any code that is not directly above an export
    // (an import follows it, say) describes the file.
    if (!seenCode && comment && !declaration) description ??= firstParagraph(docLines);
    if (declaration) {
      const name = declaration[2]!;
      const doc = firstParagraph(docLines);
      exports.push({
        name,
        kind: kindOf(declaration[1]!, line),
        signature: line
          .replace(/^export\s+(default\s+)?(declare\s+)?/, '')
          .replace(/\s*[{=]\s*$/, '')
          .trim(),
        ...(doc ? { doc } : {}),
        examples: examplesOf(docLines),
      });
    }
    if (!line.startsWith('//')) {
      seenCode = true;
      comment = undefined;
    }
  }
  return { ...(description ? { description } : {}), exports };
}
