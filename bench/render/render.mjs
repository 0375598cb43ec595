// Render Adaptive Cards to PNG with Microsoft's renderer (`adaptivecards`) and Teams' light host
// config and styles (from `adaptivecards-designer`), in Debian's Chromium driven by playwright-core.
//
//   node bench/render/render.mjs CARDS.json OUT_DIR [WIDTH]
//
// CARDS.json maps a name to a card. Writes OUT_DIR/<name>.png and prints one JSON object per card
// on stdout: the card's width, the buttons of each action row (visible, clipped, truncated) and
// whether anything overflows the card. bench/render_cards.py runs this; see its docstring.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [cardsPath, outDir, widthArg] = process.argv.slice(2);
const width = Number(widthArg || 540);
const cards = JSON.parse(readFileSync(cardsPath, "utf-8"));
const designer = (path) => require.resolve(`adaptivecards-designer/${path}`);
const hostConfig = JSON.parse(readFileSync(designer("lib/hostConfigs/microsoft-teams-light.json")));

// Debian's Chromium as root with no network (playwright gives it a fresh profile of its own).
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: width + 40, height: 800 } });
  await page.setContent(
    `<html><body style="margin:0;padding:20px;background:#F5F5F5"><div id="host"></div></body></html>`,
  );
  await page.addStyleTag({ path: designer("dist/containers/teams-container-light.css") });
  await page.addScriptTag({ path: require.resolve("adaptivecards/dist/adaptivecards.min.js") });
  // Teams renders the Markdown subset of TextBlocks; the renderer leaves that to its host.
  await page.addScriptTag({ path: require.resolve("markdown-it/dist/markdown-it.min.js") });
  await page.evaluate(() => {
    const markdown = window.markdownit();
    AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
      result.outputHtml = markdown.render(text);
      result.didProcess = true;
    };
  });
  for (const [name, card] of Object.entries(cards)) {
    const report = await page.evaluate(
      ({ card, hostConfig, width }) => {
        const host = document.getElementById("host");
        host.innerHTML = "";
        const frame = document.createElement("div");
        frame.className = "teams-card";
        frame.style.width = `${width}px`;
        frame.style.background = "white";
        host.appendChild(frame);
        const adaptive = new AdaptiveCards.AdaptiveCard();
        adaptive.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
        const context = new AdaptiveCards.SerializationContext();
        adaptive.parse(card, context);
        const errors = context.eventCount > 0 ? [...Array(context.eventCount).keys()].map((i) => context.getEventAt(i).message) : [];
        const rendered = adaptive.render();
        if (!rendered) return { errors: ["nothing rendered"] };
        frame.appendChild(rendered);
        const box = rendered.getBoundingClientRect();
        const naturalWidth = (element) => {
          const range = document.createRange();
          range.selectNodeContents(element);
          return range.getBoundingClientRect().width;
        };
        const rows = [...frame.querySelectorAll(".ac-actionSet")].map((strip) => {
          // The renderer clips its row of buttons at its container (overflow: hidden) and
          // shrinks buttons that do not fit, ending their titles with an ellipsis.
          const clip = strip.parentElement.getBoundingClientRect();
          const buttons = [...strip.querySelectorAll(":scope > .ac-pushButton")].map((button) => {
            const rect = button.getBoundingClientRect();
            const label = button.firstElementChild || button;
            const natural = naturalWidth(label);
            return {
              title: button.getAttribute("aria-label") || button.textContent.trim(),
              overflowMenu: button.getAttribute("aria-label") === "More options",
              clipped: rect.right > Math.min(clip.right, box.right) + 0.5 || rect.width < 1,
              truncated: natural > label.clientWidth + 0.5,
              needs: rect.width - label.clientWidth + natural,
            };
          });
          const spacing = hostConfig.actions.buttonSpacing * Math.max(buttons.length - 1, 0);
          const needs = Math.round(buttons.reduce((sum, b) => sum + b.needs, spacing));
          return { needs, room: Math.round(clip.width), buttons };
        });
        return {
          width: Math.round(box.width),
          height: Math.round(box.height),
          rows,
          overflowing: rendered.scrollWidth > rendered.clientWidth + 1,
          errors,
        };
      },
      { card, hostConfig, width },
    );
    await page.locator("#host > div").screenshot({ path: join(outDir, `${name}.png`) });
    // Open the overflow menu ("…"): what it lists is what the card keeps out of its row.
    report.overflow = [];
    const more = page.locator('#host .ac-pushButton[aria-label="More options"]');
    if ((await more.count()) > 0) {
      await more.first().click();
      await page.waitForTimeout(300); // the menu slides in
      report.overflow = await page.locator(".ac-ctrl-dropdown-item").allTextContents();
      await page.screenshot({ path: join(outDir, `${name}.overflow.png`) });
      await page.keyboard.press("Escape");
      await page.evaluate(() => document.querySelectorAll(".ac-ctrl-overlay").forEach((e) => e.remove()));
    }
    process.stdout.write(JSON.stringify({ name, ...report }) + "\n");
  }
} finally {
  await browser.close();
}
