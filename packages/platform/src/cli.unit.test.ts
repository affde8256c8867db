import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { integerArgument } from './cli';

function parse(min: 0 | 1, value: string): { n?: number; error?: string } {
  let error: string | undefined;
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeErr: (text) => (error = text), writeOut: () => undefined })
    .option('--n <n>', 'a number', integerArgument(min));
  try {
    program.parse(['--n', value], { from: 'user' });
  } catch {
    return { error };
  }
  return { n: program.opts<{ n: number }>().n };
}

describe('integerArgument', () => {
  it('takes whole numbers from its minimum up', () => {
    expect(parse(1, '1')).toEqual({ n: 1 });
    expect(parse(1, '140000')).toEqual({ n: 140_000 });
    expect(parse(0, '0')).toEqual({ n: 0 });
  });

  it('refuses anything else with commander usage error naming what it wants', () => {
    for (const bad of ['0', '-1', '1.5', 'ten', '', ' ', '1e400']) {
      expect(parse(1, bad).error, bad).toContain('a positive integer');
    }
    expect(parse(0, '-1').error).toContain('a non-negative integer');
  });
});
