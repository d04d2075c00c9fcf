// The connection form in a real browser: sign in, add, read back through the API, edit,
// regenerate the key, delete. Each step is one test on one router and one browser, in order.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, defineDomains, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

describe("the connection form", () => {
  let router, browser, page, id;
  before(async () => {
    router = await Router.start();
    await defineDomains(router, { Region: { color: "#0b7a75", domains: ["EMEA", "EMEA/France"] } });
    browser = await launchBrowser();
    page = await openPage(browser);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  test("the console is served with a policy that forbids inline script", async () => {
    const response = await fetch(router.url);
    const policy = response.headers.get("content-security-policy");
    assert.match(policy, /script-src 'self'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  });

  test("an unknown token is refused at sign-in and the right one opens the list", async () => {
    await page.goto(router.url);
    await screenshot(page, "sign-in");
    await page.getByLabel("Access token", { exact: true }).fill("not-a-token");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("This access token is not known to the router.").waitFor();
    await signIn(page, router);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("tunnel-router.token")), router.token);
    assert.ok(!page.url().includes(router.token));
    assert.deepEqual(await page.context().cookies(), []);
    await page.getByText("No connections yet.").waitFor();
  });

  test("a connection added with two headers, a domain and additional information reads back the same", async () => {
    await page.getByRole("button", { name: "ADD CONNECTION", exact: true }).click();
    await page.getByLabel("Name", { exact: true }).fill("Paris AS");
    await page.getByLabel("Domains", { exact: true }).selectOption({ label: "EMEA/France" });
    await page.getByLabel("URL", { exact: true }).fill("https://bob:s3cret@as.example.com/uplink?x=1");
    await page.getByLabel("Content Type", { exact: true }).selectOption({ label: "JSON untyped" });
    const key = await page.getByLabel("Tunnel Interface Authentication Key", { exact: true }).inputValue();
    assert.match(key, /^[0-9a-f]{32}$/);
    await page.getByRole("button", { name: "Generate", exact: true }).click();
    const generated = await page.getByLabel("Tunnel Interface Authentication Key", { exact: true }).inputValue();
    assert.match(generated, /^[0-9a-f]{32}$/);
    assert.notEqual(generated, key);
    await page.getByRole("button", { name: "Add header", exact: true }).click();
    await page.getByRole("button", { name: "Add header", exact: true }).click();
    await page.getByLabel("Header name", { exact: true }).nth(0).fill("X-Tenant");
    await page.getByLabel("Header value", { exact: true }).nth(0).fill("acme <b>corp</b>");
    await page.getByLabel("Header name", { exact: true }).nth(1).fill("Authorization");
    await page.getByLabel("Header value", { exact: true }).nth(1).fill("Bearer abc");
    await page.getByLabel("Additional information", { exact: true }).fill("Owner: ops team\nTicket 42");
    await page.getByLabel("AS_ID", { exact: true }).fill("TWA_100002167.1111.AS");
    for (const mandatory of ["Name", "URL", "Content Type", "Tunnel Interface Authentication Key", "AS_ID"])
      assert.equal(await page.locator(".field", { has: page.getByLabel(mandatory, { exact: true }) })
        .locator(".required").textContent(), "*", mandatory);
    await screenshot(page, "add-connection");
    await page.getByRole("button", { name: "ADD", exact: true }).click();
    await page.getByText("Connection “Paris AS” added.").waitFor();
    assert.equal(await page.locator("[data-key]").textContent(), generated);
    await screenshot(page, "connection-added");

    const list = await router.api("GET", "/api/v1/connections");
    assert.equal(list.body.connections.length, 1);
    const c = list.body.connections[0];
    id = c.id;
    assert.equal(c.name, "Paris AS");
    assert.deepEqual(c.domains, [{ group: "Region", name: "EMEA/France" }]);
    assert.equal(c.url, "https://bob:s3cret@as.example.com/uplink?x=1");
    assert.equal(c.contentType, "JSON_UNTYPED");
    assert.equal(c.asId, "TWA_100002167.1111.AS");
    assert.deepEqual(c.headers, [{ name: "X-Tenant", value: "acme <b>corp</b>" },
      { name: "Authorization", value: "Bearer abc" }]);
    assert.equal(c.additionalInfo, "Owner: ops team\nTicket 42");
  });

  test("the list masks the URL's password and renders data as text", async () => {
    await page.getByRole("link", { name: "Connections", exact: true }).first().click();
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor();
    assert.equal(await row.locator("td.url").textContent(), "https://bob:•••@as.example.com/uplink?x=1");
    assert.ok(!(await page.content()).includes("s3cret"));
    await screenshot(page, "connections");
    await row.getByRole("link", { name: "Paris AS" }).click();
    await page.getByRole("heading", { name: "Paris AS", level: 1 }).waitFor();
    assert.ok(!(await page.content()).includes("s3cret"));
    assert.equal(await page.locator("b").count(), 0);  // the header value's markup stayed text
    await screenshot(page, "connection");
  });

  test("an edit with the same form saves the changes and keeps the stored password", async () => {
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const name = page.getByLabel("Name", { exact: true });
    assert.equal(await name.inputValue(), "Paris AS");
    assert.equal(await page.getByLabel("URL", { exact: true }).inputValue(), "https://bob:•••@as.example.com/uplink?x=1");
    assert.equal(await page.getByLabel("Tunnel Interface Authentication Key", { exact: true }).inputValue(), "");
    await name.fill("Paris AS (prod)");
    await page.getByRole("button", { name: "Remove header" }).nth(1).click();
    await page.getByLabel("Additional information", { exact: true }).fill("Moved to prod");
    await screenshot(page, "edit-connection");
    await page.getByRole("button", { name: "SAVE", exact: true }).click();
    await page.getByText("Connection “Paris AS (prod)” saved.").waitFor();
    const c = (await router.api("GET", "/api/v1/connections/" + id)).body;
    assert.equal(c.name, "Paris AS (prod)");
    assert.equal(c.url, "https://bob:s3cret@as.example.com/uplink?x=1");
    assert.deepEqual(c.headers, [{ name: "X-Tenant", value: "acme <b>corp</b>" }]);
    assert.equal(c.additionalInfo, "Moved to prod");
    assert.deepEqual(c.domains, [{ group: "Region", name: "EMEA/France" }]);
  });

  test("an edit saves only what it changed: a pause, a colleague's change and fields the form lacks stay", async () => {
    await router.api("PATCH", "/api/v1/connections/" + id, { maxTimeDeviation: 300 });
    await page.reload();
    await page.getByRole("heading", { name: "Paris AS (prod)", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const url = page.getByLabel("URL", { exact: true });
    await url.waitFor();
    // Meanwhile, through the API: paused and another field changed.
    assert.equal((await router.api("PATCH", "/api/v1/connections/" + id,
      { paused: true, additionalInfo: "changed by a colleague" })).status, 200);
    // The path changes behind the masked password.
    await url.fill("https://bob:•••@as.example.com/v2/uplink?x=1");
    await page.getByLabel("Content Type", { exact: true }).selectOption({ label: "JSON" });
    await page.getByRole("button", { name: "SAVE", exact: true }).click();
    await page.getByText("Connection “Paris AS (prod)” saved.").waitFor();
    const c = (await router.api("GET", "/api/v1/connections/" + id)).body;
    assert.equal(c.contentType, "JSON");
    assert.equal(c.url, "https://bob:s3cret@as.example.com/v2/uplink?x=1");
    assert.equal(c.paused, true);
    assert.equal(c.additionalInfo, "changed by a colleague");
    assert.equal(c.maxTimeDeviation, 300);
    assert.equal((await router.api("PATCH", "/api/v1/connections/" + id, { paused: false })).status, 200);
    await page.reload();
    await page.getByRole("heading", { name: "Paris AS (prod)", level: 1 }).waitFor();
  });

  test("regenerating the key asks first, then shows the new key once with the warning", async () => {
    const dialogs = [];
    const answer = (accept) => (dialog) => {
      dialogs.push(dialog.message());
      return accept ? dialog.accept() : dialog.dismiss();
    };
    page.once("dialog", answer(false));
    await page.getByRole("button", { name: "Regenerate key", exact: true }).click();
    await page.waitForTimeout(200);
    assert.equal(await page.locator("[data-key]").count(), 0);
    page.once("dialog", answer(true));
    await page.getByRole("button", { name: "Regenerate key", exact: true }).click();
    const key = page.locator("[data-key]");
    await key.waitFor();
    assert.match(dialogs[0], /old key stops working/);
    assert.match(await key.textContent(), /^[0-9a-f]{32}$/);
    await page.getByText("Warning: configure this new key on the application server instead of the old one.", { exact: false }).waitFor();
    await screenshot(page, "key-regenerated");
    await page.reload();
    await page.getByRole("heading", { name: "Paris AS (prod)", level: 1 }).waitFor();
    assert.equal(await page.locator("[data-key]").count(), 0);  // shown once only
  });

  test("deleting asks first and removes the connection", async () => {
    page.once("dialog", (dialog) => dialog.dismiss());
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForTimeout(200);
    assert.equal((await router.api("GET", "/api/v1/connections/" + id)).status, 200);
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("Connection “Paris AS (prod)” deleted.").waitFor();
    assert.equal((await router.api("GET", "/api/v1/connections/" + id)).status, 404);
    assert.equal(await page.locator(`tr[data-id="${id}"]`).count(), 0);
    assert.deepEqual(page.problems, []);
  });

  test("the longest values the rules allow keep the list within the window", async () => {
    const long = (await router.api("POST", "/api/v1/connections", {
      name: "N".repeat(200), url: "https://as.example.com/" + "p".repeat(1900), contentType: "JSON",
      asId: "A".repeat(128) })).body;
    assert.ok(long.id, JSON.stringify(long));
    await router.api("POST", "/api/v1/connections", { name: "Short", url: "https://as.example.com/up",
      contentType: "JSON", asId: "Short.AS" });
    await page.reload();
    const row = page.locator(`tr[data-id="${long.id}"]`);
    await row.waitFor();
    await screenshot(page, "long-values");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 1280, `the page is ${width} px wide`);
    const height = (await row.boundingBox()).height;
    assert.ok(height < 400, `the row is ${height} px tall`);
    await row.getByRole("link").first().click();
    await page.getByRole("heading", { name: "N".repeat(200), level: 1 }).waitFor();
    const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(pageWidth <= 1280, `the connection's page is ${pageWidth} px wide`);
  });

  test("a long list asks for the status of the rows on screen only", async () => {
    for (let i = 0; i < 80; ++i) {
      const made = await router.api("POST", "/api/v1/connections", { name: `Many ${i}`,
        url: "https://as.example.com/up", contentType: "JSON", asId: `Many.${i}` });
      assert.equal(made.status, 201);
    }
    const asked = [];
    const count = (request) => { if (request.url().endsWith("/status")) asked.push(request.url()); };
    await page.goto(router.url + "#/connections");
    page.on("request", count);
    await page.locator("tr[data-id] .state", { hasText: "Healthy" }).first().waitFor();
    await page.waitForTimeout(7000);  // three rounds of polling
    page.off("request", count);
    const rows = await page.locator("tr[data-id]").count();
    assert.ok(rows >= 82, `${rows} rows`);
    assert.ok(asked.length < rows, `${asked.length} status requests in 7 s for ${rows} rows`);
    // A row scrolled to is polled too.
    const last = page.locator("tr[data-id]").last();
    await last.scrollIntoViewIfNeeded();
    await last.locator(".state", { hasText: "Healthy" }).waitFor({ timeout: 8000 });
  });
});
