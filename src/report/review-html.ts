// The review page (`fix --html FILE`, `scan --format html`): one HTML file
// that works offline. Everything it needs is inlined: diff2html's CSS and its
// UI bundle (which carries highlight.js), the page's own script and styles
// (review-page/), the service graph as an SVG image, and the model as a JSON
// island. File content only ever reaches the page inside that island, with
// `<`, `>` and `&` escaped, and is put on screen as text (the page script) or
// by diff2html, which escapes it; a Content-Security-Policy forbids any
// network fetch at view time.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ServiceGraph } from '../graph/types.js';
import type { ReviewModel } from './review-model.js';
import { packageRoot } from './rule-docs.js';

const require = createRequire(import.meta.url);

/** The page's data: the model, plus what only the page shows. */
export interface PageData extends ReviewModel {
  /** The service graph as an `<img>` data URI (SVG), or null when it could not be drawn. */
  graph: string | null;
}

/** JSON that cannot end its `<script>` element or open another, whatever the file content. */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A script's source made safe to inline: `</script`, `<script` and `<!--`
 * (the HTML tokenizer's ways out of script data) become `\x3C…`, which reads
 * the same inside the strings, regular expressions and comments where a
 * bundle can hold them (highlight.js's HTML grammar has `/<script(?=\s|>)/`).
 */
export function inlineScript(js: string): string {
  return js.replace(/<(\/?script|!--)/gi, '\\x3C$1');
}

function inlineStyle(css: string, name: string): string {
  if (/<\/style/i.test(css)) throw new Error(`${name}: holds "</style", which would end the inlined <style> element`);
  return css;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Assets {
  diff2htmlCss: string;
  diff2htmlJs: string;
  pageCss: string;
  pageJs: string;
}

let assets: Assets | undefined;

/** diff2html from its package, the page's own files from src/report/review-page/ of shipshape's package. */
function loadAssets(): Assets {
  if (assets) return assets;
  const read = (file: string) => fs.readFileSync(file, 'utf8');
  const page = path.join(packageRoot(), 'src', 'report', 'review-page');
  assets = {
    diff2htmlCss: read(require.resolve('diff2html/bundles/css/diff2html.min.css')),
    // The slim UI bundle: highlight.js with the common languages (TS/JS, Dockerfile, YAML, shell, JSON).
    diff2htmlJs: read(require.resolve('diff2html/bundles/js/diff2html-ui-slim.min.js')),
    pageCss: read(path.join(page, 'review.css')),
    pageJs: read(path.join(page, 'review.js')),
  };
  return assets;
}

/** The service graph as an image: an `<img>` never runs what an SVG might hold. */
export function svgDataUri(svg: string): string {
  // Graphviz prefixes an XML declaration and a DOCTYPE naming a DTD URL; the image needs neither.
  const start = svg.indexOf('<svg');
  return `data:image/svg+xml;base64,${Buffer.from(start >= 0 ? svg.slice(start) : svg, 'utf8').toString('base64')}`;
}

/** The graph drawn for the page, or null (with the reason on stderr) when Graphviz cannot run. */
export async function pageGraph(graph: ServiceGraph | undefined): Promise<string | null> {
  if (!graph || graph.nodes.length === 0) return null;
  try {
    const { graphSvg } = await import('../graph/render.js');
    return svgDataUri(await graphSvg(graph));
  } catch (err) {
    process.stderr.write(`shipshape: the review page has no service graph: ${(err as Error).message}\n`);
    return null;
  }
}

export function renderReviewHtml(model: ReviewModel, graph: string | null = null): string {
  const a = loadAssets();
  const data: PageData = { ...model, graph };
  const title = `shipshape ${model.mode === 'fix' ? 'fix review' : 'scan'}: ${model.title}`;
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="shipshape ${escapeHtml(model.tool.version)}">
<title>${escapeHtml(title)}</title>
<style>${inlineStyle(a.diff2htmlCss, 'diff2html.min.css')}</style>
<style>${inlineStyle(a.pageCss, 'review.css')}</style>
</head>
<body>
<noscript>This review page draws its content with JavaScript; open it in a browser with scripts on.</noscript>
<div id="app"></div>
<script type="application/json" id="review-data">${jsonIsland(data)}</script>
<script>${inlineScript(a.diff2htmlJs)}</script>
<script>${inlineScript(a.pageJs)}</script>
</body>
</html>
`;
}
