// The admin API from the browser: the access token lives in sessionStorage only (this tab, this
// session) and travels in the Authorization header, never in a URL.

const tokenKey = "tunnel-router.token";

export function token() {
  return sessionStorage.getItem(tokenKey) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(tokenKey, value);
  else sessionStorage.removeItem(tokenKey);
}

/// An answer other than 2xx: `status`, the field errors (`[{field, message}]`) and a message.
export class ApiError extends Error {
  constructor(status, body) {
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    const message = (body && typeof body.error === "string" && body.error) ||
        (errors.length ? errors.map((e) => e.field + ": " + e.message).join("; ") : "") ||
        "HTTP " + status;
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

/// Called on every 401 so the console can go back to sign-in.
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/// One request; resolves to the parsed JSON body (null for 204), throws ApiError otherwise.
export async function request(method, path, body, contentType = "application/json") {
  const init = { method, headers: { Authorization: "Bearer " + token() }, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = contentType;
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (failure) {
    throw new ApiError(0, { error: "the router did not answer (" + failure.message + ")" });
  }
  const text = response.status === 204 ? "" : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return data;
}

export const api = {
  connections: () => request("GET", "/api/v1/connections"),
  connection: (id) => request("GET", "/api/v1/connections/" + encodeURIComponent(id)),
  create: (form) => request("POST", "/api/v1/connections", form),
  patch: (id, fields) => request("PATCH", "/api/v1/connections/" + encodeURIComponent(id), fields),
  remove: (id) => request("DELETE", "/api/v1/connections/" + encodeURIComponent(id)),
  regenerate: (id) => request("POST", "/api/v1/connections/" + encodeURIComponent(id) + "/key"),
  status: (id) => request("GET", "/api/v1/connections/" + encodeURIComponent(id) + "/status"),
  test: (id) => request("POST", "/api/v1/connections/" + encodeURIComponent(id) + "/test"),
  device: (devEui) => request("GET", "/api/v1/devices/" + encodeURIComponent(devEui)),
  route: (devEui, ids) =>
    request("PUT", "/api/v1/devices/" + encodeURIComponent(devEui), { connections: ids }),
  unroute: (devEui) => request("DELETE", "/api/v1/devices/" + encodeURIComponent(devEui)),
  importRoutes: (ndjson) =>
    request("POST", "/api/v1/devices:import", ndjson, "application/x-ndjson"),
  users: () => request("GET", "/api/v1/users"),
  createUser: (form) => request("POST", "/api/v1/users", form),
  removeUser: (id) => request("DELETE", "/api/v1/users/" + encodeURIComponent(id)),
  me: () => request("GET", "/api/v1/me"),
  instances: () => request("GET", "/api/v1/instances"),
  groups: () => request("GET", "/api/v1/domain-groups"),
  createGroup: (form) => request("POST", "/api/v1/domain-groups", form),
  patchGroup: (name, fields) => request("PATCH", "/api/v1/domain-groups/" + encodeURIComponent(name), fields),
  removeGroup: (name) => request("DELETE", "/api/v1/domain-groups/" + encodeURIComponent(name)),
  domains: () => request("GET", "/api/v1/domains"),
  createDomain: (form) => request("POST", "/api/v1/domains", form),
  patchDomain: (domain, fields) => request("PATCH", domainPath(domain), fields),
  removeDomain: (domain) => request("DELETE", domainPath(domain)),
};

/// `/api/v1/domains/{group}/{name}`, the name's `/` kept as path segments.
function domainPath({ group, name }) {
  return "/api/v1/domains/" + encodeURIComponent(group) + "/" +
    name.split("/").map(encodeURIComponent).join("/");
}
