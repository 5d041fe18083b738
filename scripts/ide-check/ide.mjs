// Opens the IDE at the URL given, runs the query shown in its editor, and checks that the
// result appears on the page and that the page requested nothing outside the server. Saves a
// screenshot to the path given. Exits 1 on any failure.
import { chromium } from "playwright-core";

const [url, screenshot] = process.argv.slice(2);
const origin = new URL(url).origin;
const outside = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) outside.push(r.url());
  });
  const query = '{ country(code: "PE") { name agencies { url } } }';
  await page.goto(url, { waitUntil: "networkidle" });
  await page.waitForSelector(".graphiql-execute-button", { timeout: 20000 });
  // Type the query into the editor as a person would: select all, then type.
  await page.click(".graphiql-query-editor .CodeMirror");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(query);
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(() => document.body.innerText.includes("sector-mype-e-industria"), null, { timeout: 20000 });
  const text = await page.evaluate(() => document.body.innerText);
  if (!text.includes('"name": "Peru"')) throw new Error(`unexpected result: ${text.slice(0, 300)}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  if (outside.length) throw new Error(`the page requested outside the server: ${outside.join(", ")}`);
  console.log(`ide-check: ok (query ran in the IDE; screenshot ${screenshot})`);
} catch (e) {
  const page = browser.contexts()[0]?.pages()[0];
  if (page) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    const html = await page.content().catch(() => "");
    console.error(html.slice(0, 3000));
  }
  console.error(`ide-check: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
