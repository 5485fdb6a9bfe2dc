// Opens a notebook in a running JupyterLab with headless Chromium, runs all
// cells through the Run menu, checks the outputs and saves a screenshot.
// Started by scripts/browser-test.sh, which installs the dependencies and
// starts/stops JupyterLab:
//
//   node scripts/browser_test.mjs --url http://127.0.0.1:PORT --token TOKEN \
//     --notebook notebooks/00_smoke.ipynb --expect "2 + 3 = 5" \
//     --screenshot /tmp/shot.png [--timeout 600] [--kernel "Go (ddpm)"] [--chromium /usr/bin/chromium] \
//     [--cells REGEX] [--knobs posterior|forward --schedules DIR]
//
// Passes (exit 0) when every code cell ran, EXPECT appears in the outputs and no
// output shows an error (a Go panic, a runtime fatal error, "exit status N",
// a failing %test, a Jupyter error output or GoNB's compile-error report).
//
// --cells runs only the code cells whose source matches REGEX, one after the
// other (Shift+Enter), instead of Run All; only they are judged.
//
// --knobs plays with the knobs (nb.Interact) of the first cell that listens:
// it moves its sliders as the scenario says (KNOB_SCENARIOS below), waits
// until the numbers the cell prints are the ones package ddpm computes for
// the new setting — read from `ddpm schedule -json` files in --schedules
// (<kind>.json) — presses Done, and checks that the cell's saved outputs keep
// them. Any other cell that listens is closed with its Done button.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    cells: { type: 'string', default: '' },
    knobs: { type: 'string', default: '' },
    schedules: { type: 'string', default: '' },
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

// ---------------------------------------------------------------- knob scenarios
// Each moves some knobs of a cell made by nb.Interact and checks the text the
// cell then shows against package ddpm's float64 tables (`ddpm schedule -json`:
// alphas_cumprod, posterior_variance, posterior_mean_coef1 (× x_0),
// posterior_mean_coef2 (× x_t); index i ↔ paper step i+1). check returns a
// list of problems ([] when the text is right) and a one-line summary.
const num = String.raw`(-?[0-9.]+(?:e[-+]?[0-9]+)?|NaN|[-+]?Inf)`;
const close = (got, want, rel) => Number.isFinite(got) && Math.abs(got - want) <= rel * Math.max(Math.abs(want), 1e-300);
function field(text, label) {
  const m = new RegExp(`${label.replace(/[()|[\]\\.*+?^$]/g, '\\$&')} = ${num}`).exec(text);
  return m ? Number(m[1]) : NaN;
}
const KNOB_SCENARIOS = {
  // 01_forward_process: the slider over t (knob 0, the array index) to 777.
  forward: {
    moves: [[0, 777]],
    check(text, sched) {
      const problems = [];
      const m = /paper t = (\d+) \(index (\d+)\)/.exec(text);
      if (!m || Number(m[2]) !== 777 || Number(m[1]) !== 778) problems.push(`shows ${m ? m[0] : 'no "paper t = … (index …)" line'}, want index 777`);
      const got = [];
      for (const kind of ['linear', 'cosine', 'quadratic', 'sigmoid']) {
        const line = new RegExp(`^${kind}\\s+ᾱ_t = ${num}.*SNR = ${num}`, 'm').exec(text);
        const ab = sched[kind].alphas_cumprod[777];
        if (!line) {
          problems.push(`no line for the ${kind} schedule`);
          continue;
        }
        const [a, snr] = [Number(line[1]), Number(line[2])];
        if (!close(a, ab, 1e-9)) problems.push(`${kind}: ᾱ_t = ${line[1]}, ddpm: ${ab}`);
        if (!close(snr, ab / (1 - ab), 1e-9)) problems.push(`${kind}: SNR = ${line[2]}, ddpm: ᾱ/(1−ᾱ) = ${ab / (1 - ab)}`);
        got.push(`${kind} ᾱ_t=${line[1]} (ddpm ${ab.toPrecision(10)})`);
      }
      return { problems, summary: `index 777: ${got.join(', ')}` };
    },
  },
  // 02_langevin: δ (knob 0) to its last value, 2, and K (knob 1) to 10.
  langevin: {
    moves: [[0, 7], [1, 2]],
    check(text) {
      const m = /δ = 2, K = 10 \(Kδ = 20\): heavy-mode share (\S+) .*variance (\S+) \(limit v\/\(1−δ\/4v\) = (\S+)\)/.exec(text);
      const problems = [];
      if (!m) problems.push('no "δ = 2, K = 10 (Kδ = 20): …" line');
      else if (Number(m[3].replace(/\)$/, '')) !== 2) problems.push(`limit ${m[3]}, want v/(1−δ/4v) = 2`);
      return { problems, summary: m ? m[0] : '' };
    },
  },
  // 04_reverse_2d: the chain slider (knob 0) to snapshot 0, x_T.
  chain: {
    moves: [[0, 0]],
    check(text) {
      const ok = /x_1000 \(after 0 of 1000 steps\)/.test(text);
      return { problems: ok ? [] : ['no "x_1000 (after 0 of 1000 steps)"'], summary: 'snapshot 0: x_1000 (after 0 of 1000 steps)' };
    },
  },
  // 03_posterior: index t → 1, x_0 → −0.7, x_t → 0.2 (the setting where the
  // notebook used to print +Inf and NaN): knobs 0 (the index), 1 (x_0 = pos/20)
  // and 2 (x_t = pos/20).
  posterior: {
    moves: [[0, 1], [1, -14], [2, 4]],
    check(text, sched) {
      const problems = [];
      const [t, x0, xt] = [1, -0.7, 0.2];
      const m = /paper t = (\d+) \(index (\d+)\), x₀ = (\S+), x_t = (\S+)/.exec(text);
      if (!m || Number(m[2]) !== t || Number(m[3].replace(/,$/, '')) !== x0 || Number(m[4]) !== xt)
        problems.push(`shows ${m ? m[0] : 'no "paper t = … (index …), x₀ = …, x_t = …" line'}, want index ${t}, x₀ = ${x0}, x_t = ${xt}`);
      const s = sched.linear;
      const wantMean = s.posterior_mean_coef1[t] * x0 + s.posterior_mean_coef2[t] * xt;
      const wantVar = s.posterior_variance[t];
      const [mean, variance, inv, ba] = [field(text, 'μ̃_t'), field(text, 'β̃_t'), field(text, '1/A'), field(text, 'B/A')];
      if (!close(mean, wantMean, 1e-9)) problems.push(`μ̃_t = ${mean}, ddpm: ${wantMean}`);
      if (!close(variance, wantVar, 1e-9)) problems.push(`β̃_t = ${variance}, ddpm: ${wantVar}`);
      if (!close(inv, wantVar, 1e-6)) problems.push(`1/A = ${inv}, ddpm's β̃_t: ${wantVar}`);
      if (!close(ba, wantMean, 1e-6)) problems.push(`B/A = ${ba}, ddpm's μ̃_t: ${wantMean}`);
      const [diff, peak] = [field(text, 'max |Δ|'), Number((/peak density (\S+)\)/.exec(text) ?? [])[1])];
      if (!(diff >= 0 && diff <= 1e-9 * peak)) problems.push(`max |Δ| = ${diff} (peak density ${peak}): want ≤ 1e-9 × peak`);
      if (/\bNaN\b|\bInf\b/.test(text)) problems.push('NaN or Inf in the text');
      return { problems, summary: `index 1, x₀ = −0.7, x_t = 0.2: μ̃_t = ${mean} (ddpm ${wantMean.toPrecision(10)}), β̃_t = ${variance} (ddpm ${wantVar.toPrecision(10)}), max |Δ| = ${diff}` };
    },
  },
};

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

  const prompts = () =>
    panel.evaluate((root) => [...root.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map((p) => p.textContent ?? ''));
  const codeCells = panel.locator('.jp-CodeCell');
  // The code cells to judge: all, or those --cells selects.
  let selected = null;
  if (opt.cells) {
    const re = new RegExp(opt.cells);
    const sources = await panel.evaluate((root) =>
      [...root.querySelectorAll('.jp-CodeCell')].map((c) => c.querySelector('.jp-InputArea-editor')?.textContent ?? ''),
    );
    selected = sources.map((src, i) => (re.test(src) ? i : -1)).filter((i) => i >= 0);
    if (!selected.length) throw new Error(`--cells ${JSON.stringify(opt.cells)} matches no code cell`);
    // Shift+Enter on each, in order; the kernel queues them.
    for (const i of selected) {
      const cell = codeCells.nth(i);
      for (let attempt = 1; ; attempt++) {
        await cell.locator('.jp-InputArea-prompt').click();
        await page.keyboard.press('Shift+Enter');
        const t = Date.now();
        let started = false;
        while (!started && Date.now() - t < 15_000) {
          started = /\[(\*|\d+)\]/.test((await prompts())[i] ?? '');
          if (!started) await page.waitForTimeout(250);
        }
        if (started) break;
        if (attempt === 3) throw new Error(`code cell ${i} did not start (3 tries)`);
      }
    }
    log(`ran code cells ${selected.join(', ')} (Shift+Enter; --cells ${JSON.stringify(opt.cells)})`);
  } else {
    // Run all cells with the Run menu. A click while JupyterLab is still settling
    // can be lost (the menu item is disabled then): retry until a cell starts.
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
  }

  // The index of the first code cell whose knobs listen, or −1.
  const listening = () =>
    panel.evaluate((root) => [...root.querySelectorAll('.jp-CodeCell')].findIndex((c) => c.querySelector('.ddpm-knobs-status')));
  const cellText = (i) => codeCells.nth(i).locator('.jp-OutputArea').innerText();
  const knobProblems = [];

  // Play with the knobs of the first cell that listens.
  if (opt.knobs) {
    const scenario = KNOB_SCENARIOS[opt.knobs];
    if (!scenario) throw new Error(`--knobs ${opt.knobs}: no such scenario (${Object.keys(KNOB_SCENARIOS).join(', ')})`);
    const sched = {};
    for (const kind of ['linear', 'cosine', 'quadratic', 'sigmoid']) {
      sched[kind] = JSON.parse(readFileSync(join(opt.schedules, `${kind}.json`), 'utf8'));
    }
    const t = Date.now();
    let i = -1;
    while ((i = await listening()) < 0) {
      if (Date.now() - t > timeoutMs) throw new Error(`no cell listened to its knobs within ${opt.timeout} s`);
      if ((await prompts()).every((p) => !p.includes('*')) && Date.now() - t > 10_000) throw new Error('every cell ended and none listened to its knobs');
      await page.waitForTimeout(500);
    }
    log(`code cell ${i} listens to its knobs (after ${((Date.now() - t) / 1000).toFixed(1)} s)`);
    const cell = codeCells.nth(i);
    const before = scenario.check(await cellText(i), sched);
    if (!before.problems.length) knobProblems.push(`code cell ${i}: the ${opt.knobs} check passes before any knob moved: it proves nothing`);
    const controls = cell.locator('input[type=range], select');
    for (const [k, value] of scenario.moves) {
      const control = controls.nth(k);
      if ((await control.evaluate((el) => el.tagName)) === 'SELECT') {
        await control.selectOption(String(value));
      } else {
        await control.evaluate((el, v) => {
          el.value = String(v);
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
        }, value);
      }
      log(`moved knob ${k} of code cell ${i} to ${value}`);
    }
    const t1 = Date.now();
    let live;
    for (;;) {
      live = scenario.check(await cellText(i), sched);
      if (!live.problems.length || Date.now() - t1 > 60_000) break;
      await page.waitForTimeout(500);
    }
    if (live.problems.length) {
      knobProblems.push(...live.problems.map((p) => `code cell ${i}, live after the knobs moved: ${p}`));
    } else {
      log(`live (${((Date.now() - t1) / 1000).toFixed(1)} s after the moves): ${live.summary}`);
    }
    await cell.locator('.jp-OutputArea').scrollIntoViewIfNeeded();
    await page.screenshot({ path: opt.screenshot.replace(/\.png$/, '') + '-knobs.png' });
    await cell.locator('button', { hasText: /^Done$/ }).click();
    log(`pressed Done in code cell ${i}`);
    const t2 = Date.now();
    while (/\*/.test((await prompts())[i] ?? '') && Date.now() - t2 < 60_000) await page.waitForTimeout(250);
    const saved = scenario.check(await cellText(i), sched);
    if (saved.problems.length) {
      knobProblems.push(...saved.problems.map((p) => `code cell ${i}, outputs kept after Done: ${p}`));
    } else {
      log(`kept after Done: ${saved.summary}`);
    }
  }

  // Done when no prompt shows [*] and at least one cell ran, stable for 2 s.
  const t0 = Date.now();
  let stableSince = 0;
  let state;
  for (;;) {
    state = await panel.evaluate((root, only) => {
      const cells = [...root.querySelectorAll('.jp-CodeCell')];
      const prompts = cells.map((c) => (c.querySelector('.jp-InputArea-prompt')?.textContent ?? '').trim());
      const sources = cells.map((c) => (c.querySelector('.jp-InputArea-editor')?.textContent ?? '').trim());
      return {
        running: prompts.filter((p) => p.includes('*')).length,
        ran: prompts.filter((p) => /\[\d+\]/.test(p)).length,
        notRun: prompts.filter((p, i) => !/\[\d+\]/.test(p) && !p.includes('*') && sources[i] !== '' && (!only || only.includes(i))).length,
        total: cells.length,
      };
    }, selected);
    const open = await listening();
    if (open >= 0) {
      log(`closing the knobs of code cell ${open} (Done)`);
      await codeCells.nth(open).locator('button', { hasText: /^Done$/ }).click().catch(() => {});
    }
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
    if (selected && !selected.includes(cell.index)) continue;
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
  problems.push(...knobProblems);
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
