import fastifyHelmet from '@fastify/helmet';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { HELMET_OPTIONS, SECURITY_HEADERS } from './app';

describe('the security headers', () => {
  it('are exactly what @fastify/helmet sends with our options', async () => {
    const bare = Fastify();
    await bare.register(fastifyHelmet, { global: true, ...HELMET_OPTIONS });
    bare.get('/x', async () => ({ ok: true }));
    const response = await bare.inject({ url: '/x' });
    await bare.close();
    const {
      'content-type': _t,
      'content-length': _l,
      date: _d,
      connection: _c,
      ...fromHelmet
    } = response.headers;
    expect(Object.fromEntries(SECURITY_HEADERS)).toEqual(fromHelmet);
  });
});
