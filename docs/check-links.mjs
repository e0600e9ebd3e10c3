#!/usr/bin/env node
// Checks that every relative link in every Markdown file of the repository points to a file or folder that
// exists. Usage: node docs/check-links.mjs   (exit 1 and a list when a link is broken); test/docs.test.ts runs it.
// Links inside code (fenced blocks, `inline code`) are not links and are skipped, as are URLs with a scheme
// and links to an anchor of the same page. The part after `#` is not checked.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
function markdownFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) markdownFiles(p, out);
    else if (name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** The targets of [text](target) links outside code, with their line numbers. */
export function linkTargets(text) {
  const found = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^()\s]*)\)/g)) found.push({ target: m[1], line: i + 1 });
  });
  return found;
}

const broken = [];
for (const file of markdownFiles(root)) {
  for (const { target, line } of linkTargets(readFileSync(file, 'utf8'))) {
    if (target === '' || target.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const path = decodeURIComponent(target.split('#')[0]);
    const abs = path.startsWith('/') ? join(root, path) : resolve(dirname(file), path);
    if (existsSync(abs)) continue;
    broken.push(`${relative(root, file)}:${line}: ${target}`);
  }
}
if (broken.length) {
  console.error(`broken links:\n${broken.join('\n')}`);
  process.exit(1);
}
console.log('every relative link points to an existing file');
