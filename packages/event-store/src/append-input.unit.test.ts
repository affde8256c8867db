import { describe, expect, it } from 'vitest';
import { checkEventId } from './append-input';

describe('append input', () => {
  it('takes a UUID as an eventId, in either case', () => {
    expect(() => checkEventId('5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f')).not.toThrow();
    expect(() => checkEventId('5F0C2B1E-8A44-4C1E-9A57-0D9C1B2A3E4F')).not.toThrow();
  });

  it('refuses an eventId that is not a UUID, naming it', () => {
    expect(() => checkEventId('visit-1')).toThrow(new TypeError('eventId must be a UUID: visit-1'));
    expect(() => checkEventId('5f0c2b1e8a444c1e9a570d9c1b2a3e4f')).toThrow(TypeError);
    expect(() => checkEventId(42)).toThrow(/UUID: 42/);
  });
});
