import { describe, expect, it } from 'vitest';
import {
  isValidCommunityCode,
  isValidRegionCode,
  levelOf,
  normaliseRegionCode,
  regionPath,
  rollUp,
  YINCHUAN_COUNTIES,
  yinchuanRegionName,
} from './region';

describe('region codes', () => {
  it('rolls a Jinfeng community code up to the four levels by prefix', () => {
    expect(regionPath('640106002003')).toEqual({
      city: '640100000000',
      county: '640106000000',
      township: '640106002000',
      community: '640106002003',
    });
  });

  it('rolls each Yinchuan county up to the city 6401', () => {
    for (const { code } of YINCHUAN_COUNTIES) expect(rollUp(code, 'city')).toBe('640100000000');
    expect(YINCHUAN_COUNTIES.map((c) => c.code.slice(0, 6))).toEqual([
      '640104',
      '640105',
      '640106',
      '640121',
      '640122',
      '640181',
    ]);
  });

  it('names Yinchuan and its county-level areas', () => {
    expect(yinchuanRegionName('640104000000')).toBe('兴庆区');
    expect(yinchuanRegionName('640181000000')).toBe('灵武市');
    expect(yinchuanRegionName('640100000000')).toBe('银川市');
    expect(yinchuanRegionName('640107000000')).toBeNull();
  });

  it('tells the narrowest level a code names', () => {
    expect(levelOf('640100000000')).toBe('city');
    expect(levelOf('640122000000')).toBe('county');
    expect(levelOf('640122101000')).toBe('township');
    expect(levelOf('640122101201')).toBe('community');
  });

  it('accepts 12-digit codes with a province part and refuses the rest', () => {
    expect(isValidRegionCode('640105000000')).toBe(true);
    expect(isValidRegionCode('001234000000')).toBe(false);
    expect(isValidRegionCode('64010500000')).toBe(false);
    expect(isValidRegionCode('64010500000a')).toBe(false);
  });

  it('accepts a community code only when all four levels are named', () => {
    expect(isValidCommunityCode('640104001001')).toBe(true);
    expect(isValidCommunityCode('640104001000')).toBe(false);
    expect(isValidCommunityCode('640104000001')).toBe(false);
    expect(isValidCommunityCode('640100001001')).toBe(false);
  });

  it('normalises 4-, 6-, 9- and 12-digit prefixes and refuses other lengths', () => {
    expect(normaliseRegionCode('6401')).toBe('640100000000');
    expect(normaliseRegionCode('640181')).toBe('640181000000');
    expect(normaliseRegionCode('640181100')).toBe('640181100000');
    expect(normaliseRegionCode('640181100200')).toBe('640181100200');
    expect(normaliseRegionCode('64018')).toBeNull();
    expect(normaliseRegionCode('0000')).toBeNull();
    expect(normaliseRegionCode('兴庆区')).toBeNull();
  });
});
