// The shape of a JSON text, for comparing two servers' AdminServer replies: every value replaced by
// its kind, with numbers told apart as Jackson writes them (`integer` for a Java int or long,
// `double` for `0.0` or `7.1667`), which JSON.parse cannot do. Objects keep their keys; arrays keep
// their elements' shapes. Values are read too (integers as bigint, so 64-bit ids stay exact).

export type JsonShape = 'null' | 'boolean' | 'string' | 'integer' | 'double' | JsonShape[] | { [key: string]: JsonShape };
export type ExactJson = null | boolean | string | bigint | number | ExactJson[] | { [key: string]: ExactJson };

class Reader {
  at = 0;
  constructor(private readonly text: string) {}

  private skip(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  private expect(char: string): void {
    this.skip();
    if (this.text[this.at] !== char) throw new Error(`expected ${char} at ${this.at}: ${this.text.slice(this.at, this.at + 20)}`);
    this.at++;
  }

  value(): { shape: JsonShape; value: ExactJson } {
    this.skip();
    const char = this.text[this.at];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') {
      const value = this.string();
      return { shape: 'string', value };
    }
    const literal = /^(true|false|null|-?\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(this.text.slice(this.at));
    if (literal === null) throw new Error(`bad JSON at ${this.at}: ${this.text.slice(this.at, this.at + 20)}`);
    this.at += literal[0].length;
    const token = literal[0];
    if (token === 'null') return { shape: 'null', value: null };
    if (token === 'true' || token === 'false') return { shape: 'boolean', value: token === 'true' };
    if (/[.eE]/.test(token)) return { shape: 'double', value: Number(token) };
    return { shape: 'integer', value: BigInt(token) };
  }

  private string(): string {
    const start = this.at;
    this.at++;
    while (this.text[this.at] !== '"') this.at += this.text[this.at] === '\\' ? 2 : 1;
    this.at++;
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  private object(): { shape: JsonShape; value: ExactJson } {
    this.expect('{');
    const shape: { [key: string]: JsonShape } = {};
    const value: { [key: string]: ExactJson } = {};
    this.skip();
    if (this.text[this.at] === '}') {
      this.at++;
      return { shape, value };
    }
    for (;;) {
      this.skip();
      const key = this.string();
      this.expect(':');
      const item = this.value();
      shape[key] = item.shape;
      value[key] = item.value;
      this.skip();
      if (this.text[this.at++] === '}') return { shape, value };
    }
  }

  private array(): { shape: JsonShape; value: ExactJson } {
    this.expect('[');
    const shape: JsonShape[] = [];
    const value: ExactJson[] = [];
    this.skip();
    if (this.text[this.at] === ']') {
      this.at++;
      return { shape, value };
    }
    for (;;) {
      const item = this.value();
      shape.push(item.shape);
      value.push(item.value);
      this.skip();
      if (this.text[this.at++] === ']') return { shape, value };
    }
  }
}

/** Parses a JSON text into its shape and its exact value. */
export function readJson(text: string): { shape: JsonShape; value: ExactJson } {
  const reader = new Reader(text);
  const result = reader.value();
  return result;
}
