import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown without its fenced code blocks, where `#` starts a shell comment, not a heading. */
function prose(page: string): string {
  return readFileSync(join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchors(page: string): Set<string> {
  const headings = [...prose(page).matchAll(/^#{1,6} (.+)$/gm)].map((match) => match[1] as string);
  return new Set(
    headings.map((heading) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** Every link of the page that stays in the repository, as [page it points to, anchor or ''], with its text. */
function localLinks(page: string): { target: string; anchor: string; text: string }[] {
  return [...prose(page).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] as string)
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [path = '', anchor = ''] = href.split('#');
      const target = path === '' ? page : relative(root, join(root, dirname(page), path));
      return { target, anchor, text: href };
    });
}

describe('the documentation links', () => {
  it.each(pages)('%s links only to pages and headings that exist', (page) => {
    const dead = localLinks(page).filter(
      ({ target, anchor }) => !existsSync(join(root, target)) || (anchor !== '' && target.endsWith('.md') && !anchors(target).has(anchor)),
    );
    expect(dead.map(({ text }) => text)).toEqual([]);
  });

  it('the README is a front page: under 200 lines, linking every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThan(200);
    const linked = new Set(localLinks('README.md').map(({ target }) => target));
    expect(pages.filter((page) => page !== 'README.md' && !linked.has(page))).toEqual([]);
  });
});
