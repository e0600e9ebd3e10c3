// The page's files: web/index.html, web/console.css, and web/app.ts bundled by esbuild into one module.
// Bundled when the console starts, in memory: it takes a fraction of a second, needs no build step before
// `dm-agent serve` (which runs from the sources with tsx, as every verb does), leaves no generated file to
// keep in step with the sources, and the page always runs the code of the checkout that serves it.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

export interface ConsoleAssets {
  html: string;
  css: string;
  js: string;
}

const web = (name: string) => new URL(`./web/${name}`, import.meta.url);

export async function bundleConsole(): Promise<ConsoleAssets> {
  const out = await build({
    entryPoints: [web('app.ts').pathname],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    logLevel: 'silent',
    legalComments: 'none',
  });
  return {
    html: readFileSync(web('index.html'), 'utf8'),
    css: readFileSync(web('console.css'), 'utf8'),
    js: out.outputFiles[0]!.text,
  };
}
