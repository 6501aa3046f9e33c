// Turns a shell line into words and options the way zkCli reads them: words split on blanks, single
// or double quotes keep blanks inside a word, `;` outside quotes separates commands (in `-c` mode),
// and short options (`-s`, `-v 3`) may stand anywhere after the command name.

/** A mistake in how a command was typed: the shell prints the usage and exits with code 2. */
export class ShellUsageError extends Error {
  override name = 'ShellUsageError';
}

/** Splits a line into words; quotes group, and are removed. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (const char of line) {
    if (quote !== null) {
      if (char === quote) quote = null;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote !== null) throw new ShellUsageError(`unbalanced ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** Splits a script on `;` outside quotes; empty commands are dropped. */
export function splitCommands(script: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const char of script) {
    if (quote !== null) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ';' || char === '\n') {
      commands.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  commands.push(current);
  return commands.map((command) => command.trim()).filter((command) => command !== '');
}

export interface OptionSpec {
  /** Options without a value, e.g. ['s', 'R', 'w']. */
  flags?: readonly string[];
  /** Options that take a value, e.g. ['v']. */
  valued?: readonly string[];
}

export interface ParsedArguments {
  flags: Set<string>;
  values: Map<string, string>;
  positional: string[];
}

/** Separates options from positional words. A lone `-` or a negative number is positional. */
export function parseArguments(words: readonly string[], spec: OptionSpec): ParsedArguments {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    if (!/^-[A-Za-z]$/.test(word)) {
      positional.push(word);
      continue;
    }
    const name = word.slice(1);
    if (spec.flags?.includes(name) === true) {
      flags.add(name);
    } else if (spec.valued?.includes(name) === true) {
      const value = words[index + 1];
      if (value === undefined) throw new ShellUsageError(`option ${word} needs a value`);
      values.set(name, value);
      index += 1;
    } else {
      throw new ShellUsageError(`unknown option ${word}`);
    }
  }
  return { flags, values, positional };
}

/** An integer option value, or a usage error naming the option. */
export function integerValue(parsed: ParsedArguments, name: string): number | undefined {
  const value = parsed.values.get(name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new ShellUsageError(`-${name} expects an integer, got "${value}"`);
  return Number(value);
}
