// A connection that sheds while its fuse is closed: a real HTTP/1.1 AS that answers in 400 ms
// (under the latency target, so the fuse stays closed) behind one connection per shard. The list
// and the connection's page say Healthy and that uplinks are shed because its sessions are busy.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Router, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

const devEui = "00112233445566bb";

describe("a busy connection", () => {
  let router, browser, page, as, busy;
  before(async () => {
    as = createServer((request, response) => {
      request.resume();
      request.on("end", () => setTimeout(() => response.end("ok"), 400));
    });
    await new Promise((resolve) => as.listen(0, "127.0.0.1", resolve));
    router = await Router.start({ extraIni: "http1_connections = 1\n" });  // in [as], one shard
    busy = (await router.api("POST", "/api/v1/connections", { name: "Busy AS",
      url: `http://127.0.0.1:${as.address().port}/uplink`, contentType: "JSON", asId: "Busy.AS" })).body;
    assert.equal((await router.api("PUT", "/api/v1/devices/" + devEui, { connections: [busy.id] })).status, 200);
    browser = await launchBrowser();
    page = await openPage(browser);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
    as?.close();
  });

  test("shedding while healthy is shown with its reason in the list and on the page", async () => {
    for (let i = 0; i < 10; ++i) assert.equal(await router.report(devEui), 202);
    const status = (await router.api("GET", `/api/v1/connections/${busy.id}/status`)).body;
    assert.equal(status.state, "closed");
    assert.ok(status.lastMinute.shed > 0, JSON.stringify(status));
    await signIn(page, router);
    const row = page.locator(`tr[data-id="${busy.id}"]`);
    await row.locator(".tag.busy", { hasText: "shedding" }).waitFor();
    assert.equal(await row.locator(".state").textContent(), "Healthy");
    assert.match(await row.locator(".tag.busy").getAttribute("title"), /every session to it was busy/);
    await row.getByRole("link", { name: "Busy AS" }).click();
    await page.getByText("uplinks shed in the last minute while the AS answered well", { exact: false }).waitFor();
    await screenshot(page, "busy-connection");
    assert.deepEqual(page.problems, []);
  });
});
