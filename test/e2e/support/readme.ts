/**
 * The README's examples as a test sees them: its fenced `sh`, `ts` and `python` blocks, each with the
 * output it shows, and the check that an output is what a block shows.
 *
 * A block shows its output in comment lines: `#> ` in sh and python, `//> ` in ts. The shown lines must make
 * up the whole output, in order: whitespace between and within them may differ (line breaks, od's
 * column padding, curl's JSON without a final newline), and `...` stands for any text. A block
 * preceded by a line `<!-- readme-test: skip ... -->` is not run (it installs or starts what the
 * test provides itself).
 */
export type Language = "sh" | "ts" | "python";

export interface CodeBlock {
  language: Language;
  /** 1-based line of the opening fence in the README. */
  line: number;
  code: string;
  /** The lines of output the block shows, without their `#> ` or `//> ` prefix. */
  shows: string[];
  skipped: boolean;
}

const SKIP_MARKER = "<!-- readme-test: skip";
const OUTPUT_PREFIX: Record<Language, RegExp> = { sh: /^\s*#> ?/, ts: /^\s*\/\/> ?/, python: /^\s*#> ?/ };

const isLanguage = (name: string | undefined): name is Language => name !== undefined && Object.hasOwn(OUTPUT_PREFIX, name);

/** Every fenced sh, ts or python block of a Markdown text, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`README line ${i + 1}: a code block that never closes`);
    const language = fence[1];
    if (isLanguage(language)) {
      const body = lines.slice(i + 1, end);
      const prefix = OUTPUT_PREFIX[language];
      blocks.push({
        language,
        line: i + 1,
        code: body.join("\n") + "\n",
        shows: body.filter((l) => prefix.test(l)).map((l) => l.replace(prefix, "")),
        skipped: (lines[i - 1] ?? "").startsWith(SKIP_MARKER),
      });
    }
    i = end;
  }
  return blocks;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A pattern of the whole output a block shows: its lines in order, `...` for any text, any whitespace between. */
export function shownPattern(shows: readonly string[]): RegExp {
  const line = (text: string) =>
    text
      .trim()
      .split("...")
      .map((part) => part.split(/\s+/).map(escape).join("\\s+"))
      .join("[\\s\\S]*?");
  return new RegExp(`^\\s*${shows.map(line).join("\\s*")}\\s*$`);
}

/** Whether `output` is what the block shows. */
export const showsOutput = (block: CodeBlock, output: string): boolean => shownPattern(block.shows).test(output);
