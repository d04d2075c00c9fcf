// Building the page from data safely: text always goes in as text nodes (textContent), never as
// HTML, so nothing a connection, a user or the router sends can become markup or script.

const svgNamespace = "http://www.w3.org/2000/svg";

function fill(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "text") {
      element.textContent = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/// An HTML element: h("td", {class: "x"}, "text", otherElement).
export function h(tag, attributes, ...children) {
  return fill(document.createElement(tag), attributes, children);
}

/// An SVG element.
export function s(tag, attributes, ...children) {
  return fill(document.createElementNS(svgNamespace, tag), attributes, children);
}

/// Replaces the children of `parent`.
export function put(parent, ...children) {
  parent.replaceChildren();
  return fill(parent, {}, children);
}

/// The top-level field of an error's path: `headers` for `headers[1].name`.
export function topField(path) {
  return path.replace(/[[.].*$/, "");
}

/// A URL with the password of its userinfo masked: `https://user:•••@host/...`.
export function maskUrl(url) {
  if (typeof url !== "string") return "";
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^@/?#]*)@/, (all, scheme, userinfo) => {
    const colon = userinfo.indexOf(":");
    return colon < 0 ? all : scheme + userinfo.slice(0, colon) + ":•••@";
  });
}

/// Masks every URL with credentials inside a longer text (a request line, a message).
export function maskUrlsIn(text) {
  if (typeof text !== "string") return "";
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s@/?#]*@/g, (prefix) => maskUrl(prefix));
}

/// Header values that carry credentials are masked like URL passwords.
export function maskHeaderValue(name, value) {
  return /^(authorization|cookie|x-api-key|api-key)$/i.test(name) || /token|secret/i.test(name)
    ? "•••"
    : value;
}

/// A time in the reader's locale, or "never".
export function when(iso) {
  if (!iso) return "never";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/// A time of day (with the date when not today), for lists of recent events.
export function clock(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const today = date.toDateString() === new Date().toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

/// A short notice at the top of the page content.
export function notice(text, kind = "info") {
  return h("p", { class: "notice " + kind, role: kind === "error" ? "alert" : "status" }, text);
}
