import { describe, expect, it } from 'vitest';
import { SourceAuth } from './source-auth.js';

// RFC 7616, section 3.9.1: the same request answered with MD5 and with SHA-256.
const RFC = {
  username: 'Mufasa',
  password: 'Circle of Life',
  uri: '/dir/index.html',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  challenge: (algorithm: string) =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
};

const field = (header: string, name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(header)?.[1];

describe('SourceAuth', () => {
  it('answers a Digest challenge as RFC 7616 does (MD5 and SHA-256)', () => {
    for (const [algorithm, response] of [
      ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
      ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ] as const) {
      const auth = new SourceAuth(RFC.username, RFC.password, () => RFC.cnonce);
      expect(auth.header(RFC.uri)).toBeUndefined();
      expect(auth.challenge(RFC.challenge(algorithm))).toBe(true);
      const header = auth.header(RFC.uri)!;
      expect(header.startsWith('Digest ')).toBe(true);
      expect(field(header, 'response')).toBe(response);
      expect(field(header, 'nc')).toBe('00000001');
      expect(field(header, 'qop')).toBe('auth');
      expect(field(header, 'opaque')).toBe('FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
      // The next request reuses the nonce with the count incremented.
      expect(field(auth.header(RFC.uri)!, 'nc')).toBe('00000002');
    }
  });

  it('prefers Digest to Basic when both are offered; Basic alone is sent as Basic', () => {
    const both = new SourceAuth('u', 'p');
    expect(both.challenge(['Basic realm="cam"', 'Digest realm="cam", nonce="abc", qop="auth"'])).toBe(true);
    expect(both.header('/x')).toMatch(/^Digest /);
    const basic = new SourceAuth('u', 'p:w');
    expect(basic.challenge('Basic realm="cam"')).toBe(true);
    expect(basic.header('/x')).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
    // A second Basic challenge means the password was refused: no point retrying.
    expect(basic.challenge('Basic realm="cam"')).toBe(false);
  });

  it('without credentials, or with an unknown scheme, nothing is sent', () => {
    expect(new SourceAuth('', '').challenge('Basic realm="x"')).toBe(false);
    const auth = new SourceAuth('u', 'p');
    expect(auth.challenge('Bearer realm="x"')).toBe(false);
    expect(auth.challenge(undefined)).toBe(false);
    expect(auth.challenge('Digest realm="x", nonce="n", algorithm=SHA-512-256')).toBe(false);
    expect(auth.header('/x')).toBeUndefined();
  });
});
