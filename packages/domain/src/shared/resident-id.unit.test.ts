import { describe, expect, it } from 'vitest';
import { isValidResidentId, residentIdCheckCharacter } from './resident-id';

describe('resident ID numbers', () => {
  it('accepts valid numbers, including an X check character', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('64010419900101123X')).toBe(true);
    expect(isValidResidentId('640181198506150014')).toBe(true);
    expect(isValidResidentId('640105200002294325')).toBe(true);
  });

  it('computes the MOD 11-2 check character', () => {
    expect(residentIdCheckCharacter('11010519491231002')).toBe('X');
    expect(residentIdCheckCharacter('64018119850615001')).toBe('4');
  });

  it('refuses a wrong check character', () => {
    expect(isValidResidentId('110105194912310021')).toBe(false);
    expect(isValidResidentId('640181198506150015')).toBe(false);
  });

  it('refuses a lower-case x', () => {
    expect(isValidResidentId('11010519491231002x')).toBe(false);
  });

  it('refuses a wrong length', () => {
    expect(isValidResidentId('11010519491231002')).toBe(false);
    expect(isValidResidentId('11010519491231002X0')).toBe(false);
    expect(isValidResidentId('')).toBe(false);
  });

  it('refuses an impossible birth date, even with a matching check character', () => {
    // 2001-02-29 does not exist; 13th month; day 32; a year before 1900.
    for (const first17 of [
      '64010520010229432',
      '64010519901301123',
      '64010519900132123',
      '64010518990101123',
    ]) {
      expect(isValidResidentId(first17 + residentIdCheckCharacter(first17))).toBe(false);
    }
  });
});
