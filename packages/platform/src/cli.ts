import { InvalidArgumentError } from 'commander';

/**
 * A commander argument parser for a whole number of at least `min` (1: "a positive integer",
 * 0: "a non-negative integer"); anything else is refused with commander's own usage error.
 */
export function integerArgument(min: 0 | 1): (value: string) => number {
  const wanted = min === 1 ? 'a positive integer' : 'a non-negative integer';
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(wanted);
    return n;
  };
}
