// The connection form's rules, checked in the browser as the person types. They mirror the
// admin API's (api/validation.hpp); the router checks again and has the last word: its errors
// come back with the same paths (`name`, `headers[1].name`, ...) and land under the same fields.

export const maxHeaders = 5;
export const maxHeaderCharacters = 510;
const forbiddenHeaders = ["accept", "host", "user-agent", "content-length", "content-type",
  "expect", "proxy-authorization"];
const connectionHeaders = ["connection", "transfer-encoding", "keep-alive", "upgrade", "te",
  "proxy-connection"];
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const controlExceptTab = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const characters = (text) => [...text].length;

function urlProblem(url) {
  if (!url) return "is mandatory";
  if (url.length > 2048) return "must be at most 2048 characters";
  // eslint-disable-next-line no-control-regex
  if (/[^\u0021-\u007e]/.test(url)) return "must be ASCII without spaces (percent-encode the rest)";
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (!scheme) return "must start with https://";
  const name = scheme[1].toLowerCase();
  if (name !== "https" && name !== "http") return "must use https";
  const rest = url.slice(scheme[0].length);
  if (!rest.startsWith("//")) return "has no host";
  // RFC 3986, where the browser's URL parser is lenient: no empty host, characters outside the
  // grammar ('[' and ']' only around an IPv6 host), '%' only before two hex digits, a port of
  // 1 to 65535.
  const authority = /^\/\/([^/?#]*)/.exec(rest)[1];
  const host = authority.replace(/^[^@]*@/, "");
  if (!host || host.startsWith(":")) return "has no host";
  const afterAuthority = rest.slice(2 + authority.length);
  if (/[\\^`{|}<>"]/.test(url) || /[[\]]/.test(afterAuthority) || /[[\]]/.test(host.replace(/^\[[^\]]*\]/, "")))
    return "is not an absolute URL (RFC 3986): a character outside the URL grammar (percent-encode it)";
  if (/%(?![0-9A-Fa-f]{2})/.test(url)) return "is not an absolute URL (RFC 3986): '%' must start a %XX escape";
  const port = /:([^:\]]*)$/.exec(host);
  if (port && !(/^\d{1,5}$/.test(port[1]) && Number(port[1]) >= 1 && Number(port[1]) <= 65535))
    return `has a bad port '${port[1]}' (1 to 65535)`;
  if (url.includes("#")) return "must not have a fragment ('#...'; it is never sent)";
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a valid URL";
  }
  if (!parsed.hostname) return "has no host";
  return null;
}

/// Every failing field of `form` (the API's JSON shape) as [{field, message}]. `restricted`: the
/// caller has domain restrictions, so the connection needs at least one domain.
export function validate(form, { restricted = false } = {}) {
  const errors = [];
  const add = (field, message) => {
    if (!errors.some((e) => e.field === field)) errors.push({ field, message });
  };

  const name = form.name || "";
  if (!name.trim()) add("name", "is mandatory");
  else if (controlCharacter.test(name)) add("name", "must not contain control characters");
  else if (characters(name) > 200) add("name", "must be at most 200 characters");

  const url = urlProblem(form.url || "");
  if (url) add("url", url);

  if (!["XML", "JSON", "JSON_UNTYPED"].includes(form.contentType))
    add("contentType", "must be XML, JSON or JSON untyped");

  const asId = form.asId || "";
  if (!asId) add("asId", "is mandatory");
  else if (asId.length > 128) add("asId", "must be at most 128 characters");
  else if (/[^\u0021-\u007e]/.test(asId)) add("asId", "must be printable ASCII without spaces");

  // Domains come from the picker (defined ones only); what is left to check is their number.
  const domains = form.domains || [];
  if (restricted && !domains.length) add("domains", "must name at least one of your domains");
  domains.forEach((domain, i) => {
    const first = domains.findIndex((d) => d.group === domain.group);
    if (first < i) add(`domains[${i}]`, `a connection has at most one domain of the group '${domain.group}'`);
  });

  if (form.key !== undefined && !/^[0-9A-Fa-f]{32}$/.test(form.key))
    add("key", "must be 32 hexadecimal digits");

  const headers = form.headers || [];
  if (headers.length > maxHeaders)
    add("headers", `at most ${maxHeaders} custom headers (${headers.length} given)`);
  const seen = [];
  headers.forEach((header, i) => {
    const path = `headers[${i}]`;
    const lower = header.name.toLowerCase();
    if (!header.name) add(path + ".name", "is mandatory");
    else if (!token.test(header.name))
      add(path + ".name", "must be an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)");
    else if (forbiddenHeaders.includes(lower))
      add(path + ".name", `'${header.name}' is set by the router and cannot be customized`);
    else if (connectionHeaders.includes(lower))
      add(path + ".name", `'${header.name}' is about the connection and is never sent to the AS`);
    else if (seen.includes(lower)) add(path + ".name", `'${header.name}' appears more than once`);
    seen.push(lower);
    if (controlExceptTab.test(header.value))
      add(path + ".value", "must not contain control characters (CR, LF, NUL, ...)");
    else if (/^[ \t]|[ \t]$/.test(header.value))
      add(path + ".value", "must not start or end with a blank");
    if (characters(header.name) + characters(header.value) > maxHeaderCharacters)
      add(path, `name and value together must be at most ${maxHeaderCharacters} characters`);
  });

  if (characters(form.additionalInfo || "") > 4096)
    add("additionalInfo", "must be at most 4096 characters");
  return errors;
}

/// A new tunnel interface authentication key: 128 bits from the browser's CSPRNG, 32 hex digits.
export function generateKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
