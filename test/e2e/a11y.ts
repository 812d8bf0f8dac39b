/**
 * Accessibility checks for the end-to-end tests: axe-core (WCAG 2.0, 2.1 and 2.2, levels A and
 * AA) and a touch-target check (every control at least 44 x 44 CSS px).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
export const MIN_TARGET = 44;

export interface Viewport {
  name: string;
  width: number;
  height: number;
}

export const VIEWPORTS: Viewport[] = [
  { name: '10" tablet, landscape', width: 1280, height: 800 },
  { name: '10" tablet, portrait', width: 800, height: 1280 },
  { name: 'small phone', width: 360, height: 740 },
];

/**
 * Puts axe on the page. The app's Content-Security-Policy (script-src 'self') rightly refuses
 * an inline <script> such as page.addScriptTag({ content }) would add, so when that is refused
 * the same source is evaluated through the DevTools protocol, which CSP does not govern.
 */
export async function injectAxe(page: Page): Promise<'script-tag' | 'devtools'> {
  if (await page.evaluate(() => 'axe' in window)) return 'devtools';
  try {
    await page.addScriptTag({ content: AXE_SOURCE });
    if (await page.evaluate(() => 'axe' in window)) return 'script-tag';
  } catch {
    // Refused by the Content-Security-Policy: expected.
  }
  await page.evaluate(AXE_SOURCE);
  return 'devtools';
}

/** axe's violations on the page as it is now, one readable block per rule. */
export async function axeViolations(page: Page): Promise<string[]> {
  await injectAxe(page);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<AxeResults> } }).axe;
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}\n        ${n.html.slice(0, 200)}\n        ${(n.failureSummary ?? '').replace(/\n/g, '\n        ')}`),
    }));
  }, WCAG_TAGS);
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n      ${v.nodes.join('\n      ')}`);
}

interface AxeResults {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; html: string; failureSummary?: string }[] }[];
}

/**
 * Every visible button, input, select, textarea, summary and link smaller than 44 x 44 CSS px.
 * A checkbox or radio inside a label is measured by its label, which is what a finger taps.
 */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate((min) => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('button, input:not([type="hidden"]), select, textarea, summary, a[href], [role="button"]');
    for (const el of controls) {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
      const isTick = el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio');
      const target = (isTick && el.closest('label')) || el;
      const r = target.getBoundingClientRect();
      if (r.width + 0.5 < min || r.height + 0.5 < min) {
        const name = el.getAttribute('aria-label') ?? el.closest('label')?.textContent ?? el.textContent ?? '';
        out.push(`<${el.tagName.toLowerCase()}${el instanceof HTMLInputElement ? ` type=${el.type}` : ''}> "${name.trim().slice(0, 60)}" is ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
    return out;
  }, MIN_TARGET);
}

/**
 * axe finds nothing, and every control is big enough to tap, at each tablet and phone size; the
 * page is left at the laptop size the tests run at.
 */
export async function expectAccessibleAtEverySize(page: Page, state: string): Promise<void> {
  await injectAxe(page);
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await axeViolations(page), `${state} @ ${vp.name}`).toEqual([]);
    expect(await smallTargets(page), `${state} @ ${vp.name}`).toEqual([]);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}
