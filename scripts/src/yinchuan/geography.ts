/** Yinchuan's six county-level areas (real codes) and a synthetic but well-formed township/community tree. */
export const COUNTIES = [
  { code: '640104', name: '兴庆区', townships: 12 },
  { code: '640105', name: '西夏区', townships: 10 },
  { code: '640106', name: '金凤区', townships: 9 },
  { code: '640121', name: '永宁县', townships: 10 },
  { code: '640122', name: '贺兰县', townships: 10 },
  { code: '640181', name: '灵武市', townships: 9 },
] as const;

export const CITY_CODE = '640100000000';

export interface Township {
  county: string;
  /** 12-digit township code. */
  code: string;
  communities: string[];
}

/** 60 townships/streets and 500 villages/communities: the first 20 townships have 9, the rest 8. */
export function buildTownships(): Township[] {
  const townships: Township[] = [];
  for (const county of COUNTIES) {
    for (let t = 1; t <= county.townships; t++) {
      const prefix = `${county.code}${String(t).padStart(3, '0')}`;
      const size = townships.length < 20 ? 9 : 8;
      const communities = Array.from(
        { length: size },
        (_, c) => `${prefix}${String(c + 1).padStart(3, '0')}`,
      );
      townships.push({ county: county.code, code: `${prefix}000`, communities });
    }
  }
  return townships;
}

/** 26 hub organisations (枢纽型机构); the first four are the article's. */
export const HUB_NAMES = [
  '寸草心',
  '春熙',
  '美林',
  '陶然',
  '馨和',
  '同心',
  '善源',
  '众合',
  '安康',
  '惠民',
  '明德',
  '仁爱',
  '启航',
  '阳光',
  '乐龄',
  '守望',
  '朝阳',
  '凤鸣',
  '贺兰山',
  '黄河',
  '塞上',
  '宁心',
  '和谐',
  '春晖',
  '博爱',
  '厚德',
] as const;

/** Brand projects and the hub (by index in HUB_NAMES) that runs each, with its target group. */
export const BRAND_PROJECT_PLAN = [
  { brand: '童心向阳', hub: 1, targetGroup: 'child' },
  { brand: '乐享家庭', hub: 2, targetGroup: 'family' },
  { brand: '牵手夕阳红', hub: 0, targetGroup: 'elderly' },
  { brand: '困境儿童援助', hub: 3, targetGroup: 'child' },
] as const;

export const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '马',
  '杨',
  '赵',
  '陈',
  '周',
  '吴',
  '田',
  '丁',
  '白',
  '金',
  '海',
];
export const GIVEN = [
  '秀英',
  '建国',
  '桂兰',
  '志强',
  '玉梅',
  '文博',
  '子涵',
  '雨萱',
  '海燕',
  '永福',
  '春花',
  '宇轩',
];
