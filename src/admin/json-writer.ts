// JSON as ZooKeeper's AdminServer (Jackson) writes it, so scripts that parse its replies parse ours:
// 64-bit ids as exact integers (a bigint is written digit for digit, where JSON.stringify would
// refuse it and a JS number would round it), doubles as Java prints them (`0.0`, `7.1667`), and
// two-space indentation. Pure functions.

import { javaDouble } from './java-format.js';

/** A Java double: written with a decimal point even when integral, as Jackson writes `0.0`. */
export class JavaDouble {
  constructor(readonly value: number) {}
}

export type Json = null | boolean | number | bigint | string | JavaDouble | readonly Json[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: Json;
}

function scalar(value: Exclude<Json, readonly Json[] | JsonObject>): string {
  if (value === null) return 'null';
  if (value instanceof JavaDouble) return Number.isFinite(value.value) ? javaDouble(value.value) : 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

function write(value: Json, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    const inner = `${indent}  `;
    return `[\n${value.map((item: Json) => inner + write(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof JavaDouble)) {
    const entries = Object.entries(value as JsonObject);
    if (entries.length === 0) return '{ }';
    const inner = `${indent}  `;
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)} : ${write(item, inner)}`).join(',\n')}\n${indent}}`;
  }
  return scalar(value as Exclude<Json, readonly Json[] | JsonObject>);
}

export function writeJson(value: Json): string {
  return write(value, '');
}
