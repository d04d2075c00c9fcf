// Validation where the mistake is: each kind of error shows under its own field, all at once,
// as the person types and after ADD; the router's own errors land under their fields by path;
// nothing is stored while anything is wrong.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, defineDomains, fieldError, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

describe("validation in the connection form", () => {
  let router, browser, page;
  before(async () => {
    router = await Router.start({ allowHttp: false });  // the router refuses http:// itself
    await defineDomains(router, { Region: { color: "#c62828", domains: ["EMEA", "APAC"] } });
    browser = await launchBrowser();
    page = await openPage(browser);
    await signIn(page, router);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  const headerError = (row, part) =>
    page.locator(".header-row").nth(row).locator(`[data-error-slot="${part}"]`);

  test("a forbidden header name is flagged while typing, before ADD", async () => {
    await page.getByRole("button", { name: "ADD CONNECTION", exact: true }).click();
    await page.getByRole("button", { name: "Add header", exact: true }).click();
    await page.getByLabel("Header name", { exact: true }).first().pressSequentially("Host");
    await headerError(0, "name").waitFor();
    assert.match(await headerError(0, "name").textContent(), /'Host' is set by the router/);
    assert.equal(await fieldError(page, "Name"), "");  // untouched fields stay quiet until ADD
  });

  test("every kind of mistake shows at its field at once, and nothing is stored", async () => {
    const add = page.getByRole("button", { name: "Add header", exact: true });
    for (let i = 0; i < 4; ++i) await add.click();
    assert.equal(await add.isDisabled(), true);  // at most 5 rows
    const names = page.getByLabel("Header name", { exact: true });
    const values = page.getByLabel("Header value", { exact: true });
    await names.nth(1).fill("X-Tenant");
    await names.nth(2).fill("x-tenant");
    await names.nth(3).fill("X-Long");
    await values.nth(3).fill("v".repeat(505));
    await names.nth(4).fill("Bad Name");
    await values.nth(4).fill(" padded");
    await page.getByLabel("Name", { exact: true }).fill("   ");
    await page.getByLabel("URL", { exact: true }).fill("https://as.example.com/up#frag");
    await page.getByLabel("Tunnel Interface Authentication Key", { exact: true }).fill("not-hex");
    await page.getByLabel("Additional information", { exact: true }).fill("x".repeat(4097));
    await page.getByLabel("AS_ID", { exact: true }).fill("has space");
    await page.getByRole("button", { name: "ADD", exact: true }).click();

    assert.equal(await fieldError(page, "Name"), "is mandatory");
    assert.match(await fieldError(page, "URL"), /fragment/);
    assert.match(await fieldError(page, "Tunnel Interface Authentication Key"), /32 hexadecimal digits/);
    assert.match(await fieldError(page, "AS_ID"), /printable ASCII without spaces/);
    assert.match(await fieldError(page, "Additional information"), /at most 4096/);
    assert.match(await headerError(0, "name").textContent(), /'Host' is set by the router/);
    assert.equal(await headerError(1, "name").isVisible(), false);
    assert.match(await headerError(2, "name").textContent(), /'x-tenant' appears more than once/);
    assert.match(await headerError(3, "row").textContent(), /at most 510 characters/);
    assert.match(await headerError(4, "name").textContent(), /RFC 7230 token/);
    assert.match(await headerError(4, "value").textContent(), /blank/);
    await screenshot(page, "validation-errors");
    assert.deepEqual((await router.api("GET", "/api/v1/connections")).body.connections, []);
  });

  test("removing a row and fixing the fields clears their errors", async () => {
    await page.getByRole("button", { name: "Remove header" }).nth(4).click();
    await page.getByRole("button", { name: "Remove header" }).nth(3).click();
    await page.getByRole("button", { name: "Remove header" }).nth(2).click();
    await page.getByRole("button", { name: "Remove header" }).nth(0).click();
    assert.equal(await page.locator(".header-row").count(), 1);
    assert.equal(await page.getByRole("button", { name: "Add header", exact: true }).isDisabled(), false);
    await page.getByLabel("Header value", { exact: true }).first().fill("acme");
    await page.getByLabel("Name", { exact: true }).fill("Lyon AS");
    await page.getByLabel("Domains", { exact: true }).selectOption({ label: "EMEA" });
    await page.getByLabel("URL", { exact: true }).fill("https://as.example.com/up");
    await page.getByRole("button", { name: "Generate", exact: true }).click();
    await page.getByLabel("Additional information", { exact: true }).fill("");
    await page.getByLabel("AS_ID", { exact: true }).fill("TWA_1.AS");
    assert.equal(await page.locator("p.error:visible").count(), 0);
  });

  test("the router's own refusal lands under its field by path, and nothing is stored", async () => {
    // The browser cannot know as.allow_http: the router refuses http:// and says why.
    await page.getByLabel("URL", { exact: true }).fill("http://as.example.com/up");
    await page.getByRole("button", { name: "ADD", exact: true }).click();
    await page.locator(".field", { has: page.getByLabel("URL", { exact: true }) }).locator("p.error").waitFor();
    assert.match(await fieldError(page, "URL"), /must use https/);
    assert.equal(await page.locator("p.error:visible").count(), 1);
    await screenshot(page, "validation-server-error");
    assert.deepEqual((await router.api("GET", "/api/v1/connections")).body.connections, []);
  });

  test("a domain deactivated since the form opened is refused under Domains, nothing stored", async () => {
    const off = await router.api("PATCH", "/api/v1/domains/Region/EMEA", { active: false });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    await page.getByLabel("URL", { exact: true }).fill("https://as.example.com/up");
    await page.getByRole("button", { name: "ADD", exact: true }).click();
    await page.locator(".field", { has: page.getByLabel("Domains", { exact: true }) }).locator("p.error").waitFor();
    assert.match(await fieldError(page, "Domains"), /^Region: EMEA: /);
    assert.equal(await fieldError(page, "URL"), "");
    assert.deepEqual((await router.api("GET", "/api/v1/connections")).body.connections, []);
    // Typing elsewhere leaves the router's error under Domains: it still holds.
    await page.getByLabel("Additional information", { exact: true }).fill("still refused");
    assert.match(await fieldError(page, "Domains"), /^Region: EMEA: /);
    assert.deepEqual(page.problems, []);
  });

  test("what the router refuses in a URL or a header name, the browser flags while typing", async () => {
    const cases = ["https://as.example.com/a|b", "https://as.example.com/x[1]", "https://as.example.com/%zz",
      "https://as.example.com:0/up", "https:///up"];
    for (const url of cases) {
      const refused = await router.api("POST", "/api/v1/connections",
        { name: "x", url, contentType: "JSON", asId: "X.AS" });
      assert.equal(refused.status, 400, url);
      await page.getByLabel("URL", { exact: true }).fill(url);
      assert.notEqual(await fieldError(page, "URL"), "", url);
    }
    await page.getByLabel("URL", { exact: true }).fill("https://as.example.com/up");
    assert.equal(await fieldError(page, "URL"), "");
    await page.getByRole("button", { name: "Add header", exact: true }).click();
    await page.getByLabel("Header name", { exact: true }).first().fill("Transfer-Encoding");
    await headerError(0, "name").waitFor();
    assert.match(await headerError(0, "name").textContent(), /is about the connection/);
  });
});
