/**
 * The React bindings rendered on the server: no effect runs, so nothing connects. (In a real
 * browser against the real server: test/react.test.ts.)
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { HooksPanel } from '../test/fixtures/hooks-panel.js';

describe('React bindings', () => {
  it('render on the server (no effects run, nothing connects)', () => {
    const html = renderToString(createElement(HooksPanel));
    expect(html).toContain('Hook status: <!-- -->disconnected');
    expect(html).toContain('Hook people: <!-- -->0');
  });
});
