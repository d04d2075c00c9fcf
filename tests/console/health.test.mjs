// Live health: a connection whose AS is dead turns Blacklisted in the list while the page stays
// open (no reload); its page shows the failures and the answer of a test uplink; pause shows.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, deadPort, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

const devEui = "00112233445566aa";

describe("live health", () => {
  let router, browser, page, dead, healthy;
  before(async () => {
    router = await Router.start();
    const port = await deadPort();
    const make = async (name, url) => (await router.api("POST", "/api/v1/connections", {
      name, url, contentType: "JSON", asId: name.replace(/ /g, "_") + ".AS" })).body;
    dead = await make("Dead AS", `http://user:pw@127.0.0.1:${port}/uplink`);
    healthy = await make("Quiet AS", `http://127.0.0.1:${port}/other`);
    const routed = await router.api("PUT", "/api/v1/devices/" + devEui, { connections: [dead.id] });
    assert.equal(routed.status, 200, JSON.stringify(routed.body));
    browser = await launchBrowser();
    page = await openPage(browser);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  const stateOf = (id) => page.locator(`tr[data-id="${id}"] .state`);

  test("a connection to a dead AS turns Blacklisted in the list without a reload", async () => {
    await signIn(page, router);
    await page.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] .state`)?.textContent === "Healthy", dead.id);
    await page.evaluate(() => { window.sameDocument = true; });
    // Uplinks for the dead AS until its fuse opens: bounded in count and time.
    let blacklisted = false;
    for (let i = 0; i < 300 && !blacklisted; ++i) {
      await router.report(devEui);
      await new Promise((resolve) => setTimeout(resolve, 100));
      blacklisted = (await stateOf(dead.id).textContent()) === "Blacklisted";
    }
    assert.ok(blacklisted, "the dead AS never showed Blacklisted");
    assert.equal(await page.evaluate(() => window.sameDocument), true);
    assert.equal(await stateOf(healthy.id).textContent(), "Healthy");
    assert.match(await stateOf(dead.id).getAttribute("class"), /\bbad\b/);
    const failed = page.locator(`tr[data-id="${dead.id}"] .rates .failed`);
    await page.waitForFunction((id) => Number(document.querySelector(`tr[data-id="${id}"] .rates .failed`)?.textContent) > 0, dead.id);
    assert.ok(Number(await failed.textContent()) > 0);
    assert.equal(await page.locator(`tr[data-id="${dead.id}"] svg.chart polyline`).count(), 3);
    await screenshot(page, "health-blacklisted");
  });

  test("the connection page lists the last failures and the answer of a test uplink", async () => {
    await page.locator(`tr[data-id="${dead.id}"]`).getByRole("link", { name: "Dead AS" }).click();
    await page.getByRole("heading", { name: "Last failures" }).waitFor();
    await page.locator("table.failures tbody tr").first().waitFor();
    assert.ok(!(await page.content()).includes("user:pw@"));
    await page.getByRole("button", { name: "Send test uplink", exact: true }).click();
    await page.locator(".test-result dl").waitFor();
    const result = await page.locator(".test-result").textContent();
    assert.match(result, /Request/);
    assert.ok(!result.includes("user:pw@"));
    await screenshot(page, "health-connection");
  });

  test("pausing shows Paused, resuming brings the state back", async () => {
    await page.getByRole("button", { name: "Pause", exact: true }).click();
    // The button says what a second click does as soon as the router answered (not at the next
    // status poll, up to 3 s later).
    await page.getByRole("button", { name: "Resume", exact: true }).waitFor({ timeout: 1000 });
    await page.locator(".card .state", { hasText: "Paused" }).waitFor();
    assert.equal((await router.api("GET", "/api/v1/connections/" + dead.id)).body.paused, true);
    await page.getByRole("link", { name: "Connections", exact: true }).first().click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] .state`)?.textContent === "Paused", dead.id);
    await screenshot(page, "health-paused");
    await page.locator(`tr[data-id="${dead.id}"]`).getByRole("link", { name: "Dead AS" }).click();
    await page.getByRole("button", { name: "Resume", exact: true }).click();
    await page.waitForFunction(() => !document.querySelector(".card .state")?.textContent.includes("Paused"));
    assert.equal((await router.api("GET", "/api/v1/connections/" + dead.id)).body.paused, false);
    assert.deepEqual(page.problems, []);
  });

  test("a page still loading when the operator moves on does not draw over the next one", async () => {
    // The connection's own read answers 1.5 s late (the router's answer, held back on its way).
    const slow = (route) => setTimeout(() => route.continue(), 1500);
    await page.getByRole("link", { name: "Connections", exact: true }).first().click();
    await stateOf(healthy.id).waitFor();
    await page.route(`**/api/v1/connections/${dead.id}`, slow);
    await page.locator(`tr[data-id="${dead.id}"]`).getByRole("link", { name: "Dead AS" }).click();
    await page.waitForTimeout(200);
    await page.getByRole("link", { name: "Connections", exact: true }).first().click();
    await stateOf(healthy.id).waitFor();
    await page.waitForTimeout(2000);  // the late answer has come and gone
    await page.unroute(`**/api/v1/connections/${dead.id}`, slow);
    assert.equal(await page.getByRole("heading", { name: "Dead AS", level: 1 }).count(), 0);
    assert.equal(await stateOf(healthy.id).count(), 1);
  });
});
