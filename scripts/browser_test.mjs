// Opens a notebook in a running JupyterLab with headless Chromium, runs all
// cells through the Run menu, checks the outputs and saves a screenshot.
// Started by scripts/browser-test.sh, which installs the dependencies and
// starts/stops JupyterLab:
//
//   node scripts/browser_test.mjs --url http://127.0.0.1:PORT --token TOKEN \
//     --notebook notebooks/00_smoke.ipynb --expect "2 + 3 = 5" \
//     --screenshot /tmp/shot.png [--timeout 600] [--kernel "Go (ddpm)"] [--chromium /usr/bin/chromium]
//
// Passes (exit 0) when every code cell ran, EXPECT appears in the outputs and no
// output shows an error (a Go panic, a runtime fatal error, "exit status N",
// a failing %test, a Jupyter error output or GoNB's compile-error report).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string', default: '' },
    notebook: { type: 'string', default: 'notebooks/00_smoke.ipynb' },
    expect: { type: 'string', default: '' },
    screenshot: { type: 'string', default: join(tmpdir(), 'ddpm-browser-test.png') },
    timeout: { type: 'string', default: '600' },
    kernel: { type: 'string', default: 'Go (ddpm)' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!opt.url) {
  console.error('browser_test.mjs: --url is required');
  process.exit(2);
}
const timeoutMs = Number(opt.timeout) * 1000;
const log = (msg) => console.log(`browser-test: ${msg}`);

// Text in an output that means the cell failed (what GoNB prints, see
// scripts/run_notebooks.py for the measured forms).
const ERROR_TEXT = [
  /^panic: /m,
  /^fatal error: /m,
  /^goroutine \d+ \[[^\]]*\]:/m,
  /^exit status \d+$/m,
  /^signal: [a-z ]+$/m,
  /^--- FAIL/m,
  /failed to run "/, // GoNB: go build / go get failed
];

const profile = mkdtempSync(join(tmpdir(), 'ddpm-chromium-'));
let context;
let status = 1;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: opt.chromium,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // `reset` starts from an empty workspace (no other open tabs).
  const url = `${opt.url}/lab/tree/${opt.notebook.split('/').map(encodeURIComponent).join('/')}?reset&token=${opt.token}`;
  log(`opening ${opt.notebook}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  const panel = page.locator('.jp-NotebookPanel:visible').first();
  await panel.locator('.jp-Cell').first().waitFor({ timeout: 120_000 });

  // The kernel: the notebook's metadata names `ddpm`; select it if JupyterLab asks.
  const kernelName = panel.locator('.jp-Toolbar-kernelName').first();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const dialog = page.locator('.jp-Dialog');
    if (await dialog.count()) {
      const select = dialog.locator('select');
      if (await select.count()) {
        log(`kernel dialog: selecting ${opt.kernel}`);
        await select.selectOption({ label: opt.kernel });
      }
      await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
    }
    const name = (await kernelName.textContent().catch(() => ''))?.trim();
    if (name === opt.kernel) break;
    if (name && name !== 'No Kernel' && !/^(Kernel|Starting|Connecting)/.test(name) && Date.now() > deadline - 110_000) {
      log(`kernel is "${name}": switching to ${opt.kernel}`);
      await kernelName.click();
    }
    if (Date.now() > deadline) throw new Error(`kernel "${opt.kernel}" not selected (toolbar shows "${name}")`);
    await page.waitForTimeout(500);
  }
  log(`kernel: ${opt.kernel}`);

  // Give the kernel a moment to report "Idle" in the status bar (GoNB often
  // reports no status before its first execution: go on after 5 s anyway).
  const idle = page.locator('#jp-main-statusbar', { hasText: /\| Idle/ });
  await idle.waitFor({ timeout: 5_000 }).catch(() => {});

  // Run all cells with the Run menu. A click while JupyterLab is still settling
  // can be lost (the menu item is disabled then): retry until a cell starts.
  const prompts = () =>
    panel.evaluate((root) => [...root.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map((p) => p.textContent ?? ''));
  for (let attempt = 1; ; attempt++) {
    await page.locator('#jp-MainMenu .lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
    const item = page.getByRole('menuitem', { name: /^Run All Cells/ });
    await item.waitFor();
    const disabled = (await item.getAttribute('aria-disabled')) === 'true';
    await item.click();
    log(`Run → Run All Cells${disabled ? ' (menu item was disabled)' : ''}`);
    const t = Date.now();
    let started = false;
    while (!started && Date.now() - t < 15_000) {
      started = (await prompts()).some((p) => /\[(\*|\d+)\]/.test(p));
      if (!started) await page.waitForTimeout(250);
    }
    if (started) break;
    if (attempt === 3) throw new Error('Run All Cells started no cell (3 tries)');
    await page.keyboard.press('Escape');
  }

  // Done when no prompt shows [*] and at least one cell ran, stable for 2 s.
  const t0 = Date.now();
  let stableSince = 0;
  let state;
  for (;;) {
    state = await panel.evaluate((root) => {
      const cells = [...root.querySelectorAll('.jp-CodeCell')];
      const prompts = cells.map((c) => (c.querySelector('.jp-InputArea-prompt')?.textContent ?? '').trim());
      const sources = cells.map((c) => (c.querySelector('.jp-InputArea-editor')?.textContent ?? '').trim());
      return {
        running: prompts.filter((p) => p.includes('*')).length,
        ran: prompts.filter((p) => /\[\d+\]/.test(p)).length,
        notRun: prompts.filter((p, i) => !/\[\d+\]/.test(p) && !p.includes('*') && sources[i] !== '').length,
        total: cells.length,
      };
    });
    const done = state.running === 0 && state.ran > 0;
    if (done) {
      if (!stableSince) stableSince = Date.now();
      if (Date.now() - stableSince >= 2000) break;
    } else {
      stableSince = 0;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`cells still running after ${opt.timeout} s (${JSON.stringify(state)})`);
    await page.waitForTimeout(500);
  }
  log(`ran ${state.ran} of ${state.total} code cells in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Judge the outputs.
  const outputs = await panel.evaluate((root) =>
    [...root.querySelectorAll('.jp-CodeCell')].map((cell, index) => ({
      index,
      items: [...cell.querySelectorAll('.jp-OutputArea-output')].map((o) => ({
        mime: o.getAttribute('data-mime-type') ?? '',
        text: o.innerText ?? '',
        gonbError: !!o.querySelector('.gonb-err-location, .gonb-cell-line-info'),
      })),
    })),
  );
  const problems = [];
  for (const cell of outputs) {
    for (const item of cell.items) {
      const stderr = item.mime === 'application/vnd.jupyter.stderr' || item.gonbError;
      const hit = stderr && ERROR_TEXT.find((re) => re.test(item.text));
      if (item.gonbError || hit) {
        const lines = item.text.split('\n').map((s) => s.trim()).filter((s) => s);
        let line = lines[0] ?? '';
        const loc = lines.map((l) => /\.go:\d+:\d+:\s*(.*)/.exec(l)).find((m) => m);
        if (item.gonbError && loc) line = `compile error: ${loc[1]}`; // GoNB's HTML report
        else if (hit) line = lines.find((l) => hit.test(l)) ?? line;
        problems.push(`code cell ${cell.index}: ${line.slice(0, 200)}`);
        break;
      }
    }
  }
  if (state.notRun > 0) problems.push(`${state.notRun} code cell(s) did not run (run stopped at an error?)`);
  const allText = outputs.flatMap((c) => c.items.map((i) => i.text)).join('\n');
  if (opt.expect && !allText.includes(opt.expect)) problems.push(`expected text not found in outputs: ${JSON.stringify(opt.expect)}`);

  // Screenshot, with the expected output (or the first problem) in view.
  const focus = opt.expect ? panel.locator('.jp-OutputArea-output', { hasText: opt.expect }).first() : null;
  if (focus && (await focus.count())) await focus.scrollIntoViewIfNeeded();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: opt.screenshot });
  log(`screenshot: ${opt.screenshot}`);

  if (problems.length) {
    for (const p of problems) console.log(`FAIL ${opt.notebook} ${p}`);
    if (consoleErrors.length) log(`browser console errors: ${consoleErrors.slice(0, 5).join(' | ')}`);
  } else {
    log(`ok: ${JSON.stringify(opt.expect)} found, no error output`);
    status = 0;
  }
} catch (e) {
  console.log(`FAIL ${opt.notebook}: ${e.message.split('\n')[0]}`);
  try {
    const page = context?.pages()[0];
    if (page) {
      await page.screenshot({ path: opt.screenshot });
      log(`screenshot (at failure): ${opt.screenshot}`);
    }
  } catch {}
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
