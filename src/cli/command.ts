/** The shape of a command: its options (util.parseArgs, strict), positionals, help, and what it does. */
import type { ParseArgsOptionsConfig } from 'node:util';
import type { Context } from './context.ts';

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Command {
  /** "users add" */
  name: string;
  /** "USER_ID [USER_ID...] [--display-name NAME]" */
  args: string;
  summary: string;
  /** Longer help: what it does, outputs, exit codes that matter. */
  help: string;
  options: ParseArgsOptionsConfig;
  positionals: { min: number; max: number };
  run(ctx: Context, values: Values, positionals: string[]): Promise<number>;
}

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function bool(values: Values, key: string): boolean {
  return values[key] === true;
}
