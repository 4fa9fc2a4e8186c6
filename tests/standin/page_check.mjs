// The live page of `dapr-coder run` in a real headless Chromium (Debian's, driven by playwright-core): publish one
// CloudEvent through an app's Dapr stand-in and wait for the page to show its delivery and the answer.
// Usage: node page_check.mjs PAGE_URL PUBLISH_URL TOPIC USER_DATA_DIR DATA_JSON; prints one JSON line.
import { chromium } from "playwright-core";

const [pageUrl, publishUrl, topic, userDataDir, data] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForSelector("#apps .app.up", { timeout: 10000 });
  const id = "page-check-" + Date.now();
  const event = {
    specversion: "1.0", id, source: "page-check", type: "page.check", datacontenttype: "application/json",
    data: JSON.parse(data),
  };
  const started = Date.now();
  const published = await fetch(publishUrl, {
    method: "POST", headers: { "content-type": "application/cloudevents+json" }, body: JSON.stringify(event),
  });
  let answer = null;
  let error = null;
  try {
    const handle = await page.waitForFunction((wanted) => {
      for (const row of document.querySelectorAll("#rows tr[data-kind=delivery]")) {
        const cells = [...row.children].map((c) => c.textContent);
        if (cells[3] === wanted && cells[4]) return cells[4];
      }
      return null;
    }, id, { timeout: 1000, polling: 50 });
    answer = await handle.jsonValue();
  } catch (e) {
    error = String(e);
  }
  const elapsed = Date.now() - started;
  const rows = await page.$$eval("#rows tr", (trs) => trs.slice(0, 10).map((tr) => tr.textContent));
  console.log(JSON.stringify({ published: published.status, topic, id, answer, elapsed_ms: elapsed, error, rows }));
} finally {
  await context.close();
}
