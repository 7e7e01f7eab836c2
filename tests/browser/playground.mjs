// Browser test: the playground in Debian's Chromium, driven by playwright-core, against the
// real `switchboard demo` (shop backend + server). Writes target/browser/playground.png.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.SWITCHBOARD_BIN || resolve(root, "target/debug/switchboard");
const screenshot = resolve(root, "target/browser/playground.png");
const results = { passed: 0, failed: 0 };

async function check(name, body) {
  try {
    await body();
    results.passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    results.failed += 1;
    console.log(`not ok - ${name}\n  ${String(error.message || error).split("\n").join("\n  ")}`);
  }
}

function startDemo() {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, ["demo", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), 30000);
    child.stderr.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/Open the playground: (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1] });
      }
    });
    child.on("exit", (code) => reject(new Error(`the demo exited (${code}):\n${output}`)));
  });
}

async function send(page, text) {
  const before = await page.locator("#chat .msg.agent").count();
  await page.fill("#message", text);
  await page.click("#send");
  // Wait for a new agent bubble whose text is final (not the "…" placeholder).
  await page.waitForFunction(
    (count) => {
      const bubbles = document.querySelectorAll("#chat .msg.agent");
      return bubbles.length > count && bubbles[bubbles.length - 1].textContent !== "…";
    },
    before,
    { timeout: 15000 },
  );
  return (await page.locator("#chat .msg.agent").last().textContent()).trim();
}

function expectContains(actual, expected) {
  if (!actual.includes(expected)) throw new Error(`expected ${JSON.stringify(actual)} to contain ${JSON.stringify(expected)}`);
}

const { child, url } = await startDemo();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors = [];
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  await page.goto(url);

  await check("the playground loads the demo agent", async () => {
    await page.waitForSelector("#agent option", { state: "attached" });
    expectContains(await page.locator("#agent").inputValue(), "acme-shop");
  });

  await check("an anonymous customer asks where an order is, gives the ZIP, gets the status", async () => {
    await page.click("#start-anonymous");
    await page.waitForSelector("#chat .msg.system");
    expectContains(await send(page, "Where is my order W1000001?"), "ZIP code");
    expectContains(await send(page, "10001"), "Order W1000001 is shipped with UPS");
  });

  await check("the inspector shows the tool call with its status", async () => {
    const call = page.locator("#inspector .tool-call").first();
    await call.waitFor();
    const text = await call.textContent();
    expectContains(text, "order_status");
    expectContains(text, "HTTP 200");
    expectContains(await page.locator("#identity").textContent(), "anonymous");
  });

  await check("a verified customer cancels an order through the confirmation", async () => {
    await page.click("#start-verified");
    await page.waitForFunction(() => document.querySelector("#who").textContent.includes("verified"));
    expectContains(await send(page, "Please cancel order W1000002, I ordered by mistake"), 'Cancel order W1000002 (Desk lamp) because "ordered by mistake"?');
    expectContains(await send(page, "yes"), "order W1000002 is cancelled");
  });

  await check("the inspector shows the task steps, the write and the user data", async () => {
    await page.waitForFunction(() => document.querySelector("#inspector").textContent.includes("submit_cancellation"));
    const inspector = await page.locator("#inspector").textContent();
    expectContains(inspector, "task cancel_order");
    expectContains(inspector, "confirm");
    expectContains(inspector, "my_order");
    expectContains(await page.locator("#user-data").textContent(), "Alice Martin");
    expectContains(await page.locator("#identity").textContent(), "alice@example.com");
  });

  await check("the Tools tab calls a tool as an admin", async () => {
    await page.click("#tab-tools");
    const form = page.locator("#tool-order_status");
    await form.locator("textarea").fill('{"order_id": "W2000001", "zip": "94105"}');
    await form.locator("button[data-tool=order_status]").click();
    await page.waitForFunction(() => document.querySelector("#tool-order_status .tool-result").textContent.includes("delivered"));
  });

  await check("the User Data tab shows what the agent would see", async () => {
    await page.click("#tab-user-data");
    await page.click("#test-user-data");
    await page.waitForFunction(() => document.querySelector("#user-data-result").textContent.includes("Pro"));
    expectContains(await page.locator("#user-data-result").textContent(), "fetched");
  });

  await check("the widget, embedded on another site, chats as a verified customer", async () => {
    const origin = new URL(url).origin;
    // The company's backend signs the logged-in customer's email; the demo server does it here.
    const signed = await (await fetch(`${origin}/demo/identity`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "bob@example.com" }) })).json();
    const site = await browser.newPage();
    site.on("pageerror", (error) => consoleErrors.push(String(error)));
    await site.setContent(`<!doctype html><html><body><h1>Acme Shop</h1><script src="${origin}/widget.js" data-agent="acme-shop" data-email="${signed.email}" data-user-hash="${signed.user_hash}"></script></body></html>`);
    await site.click("#switchboard-widget .sb-open");
    await site.fill("#switchboard-widget .sb-input", "What plan am I on?");
    await site.press("#switchboard-widget .sb-input", "Enter");
    await site.waitForFunction(() => [...document.querySelectorAll("#switchboard-widget .sb-agent")].some((n) => n.textContent.includes("Basic plan")), null, { timeout: 15000 });
    expectContains(await site.locator("#switchboard-widget .sb-agent").last().textContent(), "You are on the Basic plan, Bob Chen.");
    await site.screenshot({ path: resolve(root, "target/browser/widget.png") });
    await site.close();
  });

  await check("the page raised no script errors", async () => {
    if (consoleErrors.length) throw new Error(consoleErrors.join("\n"));
  });

  await page.click("#tab-inspector");
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
  child.kill();
}
console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
