/**
 * A web root for the server's tests of static files and headers: shaped like Vite's output
 * (index.html, hashed `assets/*-HASH.js|css`, unhashed files from public/), written into a
 * temporary directory (removed by cleanUpTestResources). The real dashboard, built with Vite, is
 * tested in packages/web/test (csp.test.ts builds it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../src/testing.js';

export function fakeWebRoot(): string {
  const root = tempDir('openeye-webroot-');
  fs.mkdirSync(path.join(root, 'assets'));
  const js = Array.from({ length: 2000 }, (_, i) => `export const value${i} = "the same words again ${i % 17}";`).join(
    '\n',
  );
  const css = Array.from(
    { length: 800 },
    (_, i) => `.c${i} { color: #${(i * 4111).toString(16).padStart(6, '0').slice(0, 6)}; }`,
  ).join('\n');
  fs.writeFileSync(path.join(root, 'assets/index-Cq8HQQ7J.js'), js);
  fs.writeFileSync(path.join(root, 'assets/index-DyuR8Qho.css'), css);
  fs.writeFileSync(
    path.join(root, 'index.html'),
    `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <title>OpenEye</title>\n    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />\n    <script src="/theme.js"></script>\n    <script type="module" crossorigin src="/assets/index-Cq8HQQ7J.js"></script>\n    <link rel="stylesheet" crossorigin href="/assets/index-DyuR8Qho.css">\n  </head>\n  <body>\n    <div id="root"></div>\n    <noscript>OpenEye needs JavaScript. ${'This page is a test fixture. '.repeat(40)}</noscript>\n  </body>\n</html>\n`,
  );
  fs.writeFileSync(path.join(root, 'theme.js'), '// theme\n');
  fs.writeFileSync(
    path.join(root, 'favicon.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>\n',
  );
  fs.writeFileSync(
    path.join(root, 'sw.js'),
    `// service worker\n${'self.addEventListener("push", () => {});\n'.repeat(40)}`,
  );
  return root;
}
