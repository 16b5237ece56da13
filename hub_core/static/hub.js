// @ts-check
/**
 * The model-hub page: search, filter, sort and page through the hub's model groups.
 * Uses ./client.js for every request; builds the DOM with textContent only (no HTML from data).
 */
import { getProviders, HubApiError, modelHubFacet, modelHubPage } from "./client.js";

/** @typedef {import("./client.js").ModelGroup} ModelGroup */
/** @typedef {import("./client.js").ModelHubPage} ModelHubPage */
/** @typedef {import("./client.js").ProviderStatus} ProviderStatus */
/** @typedef {import("./client.js").FacetList} FacetList */
/** @typedef {import("./client.js").Filters} Filters */

const KEY_STORAGE = "hub-core.api-key";
const PAGE_SIZE = 50;
const DEFAULT_SORT = "model_group";

/** @type {Array<[string, string]>} feature value, label */
const FEATURES = [
  ["function_calling", "Tools"],
  ["parallel_function_calling", "Parallel tools"],
  ["vision", "Vision"],
  ["reasoning", "Reasoning"],
];
const BADGES = /** @type {Array<[keyof ModelGroup, string, string]>} */ ([
  ["supports_function_calling", "Tools", "Supports tool (function) calling"],
  ["supports_vision", "Vision", "Accepts images"],
  ["supports_reasoning", "Reasoning", "Reasoning model"],
]);
/** @type {Array<[string, string]>} sort value, label */
const SORTS = [
  ["model_group", "Name (A to Z)"],
  ["-model_group", "Name (Z to A)"],
  ["display_name", "Display name"],
  ["provider", "Provider (A to Z)"],
  ["-provider", "Provider (Z to A)"],
  ["mode", "Mode (A to Z)"],
  ["-mode", "Mode (Z to A)"],
  ["-max_input_tokens", "Largest context window"],
  ["max_input_tokens", "Smallest context window"],
  ["input_cost_per_token", "Lowest input price"],
  ["-input_cost_per_token", "Highest input price"],
  ["output_cost_per_token", "Lowest output price"],
  ["-available", "Available first"],
  ["available", "Unavailable first"],
];
const SERVED_BY = /** @type {Record<string, string>} */ ({
  foundation_model: "Foundation model",
  external_model: "External model",
  custom_model: "Custom model",
  agent: "Agent",
});
const STATUS_BANNERS = /** @type {Record<string, {kind: string, text: string}>} */ ({
  not_configured: { kind: "info", text: "is not configured" },
  disabled: { kind: "info", text: "is disabled" },
  error: { kind: "error", text: "is failing" },
  failed_to_load: { kind: "error", text: "failed to load" },
});

// The app's root, so the page works when the app is served under a path (a sub-app, a proxy),
// and where the hub's API is mounted in it (include_hub's prefix), which the server writes into the page.
const ROOT = location.pathname.replace(/\/hub\/?$/, "");
const API_PREFIX = document.querySelector('meta[name="hub-api-prefix"]')?.getAttribute("content") || "/public";
// The app's API docs page (empty when the app has none: a gateway without docs, so no link).
const DOCS_PATH = document.querySelector('meta[name="hub-docs-path"]')?.getAttribute("content") || "";
// The page's own URL uses the API's grammar (LiteLLM's filter[...] parameters).
const URL_KEYS = {
  provider: "filter[providers][in]",
  mode: "filter[mode][in]",
  features: "filter[features][in]",
  available: "filter[available]",
};

const state = {
  q: "",
  provider: "",
  mode: "",
  /** @type {string[]} */
  features: [],
  available: "",
  sort: DEFAULT_SORT,
  page: 1,
};

/** @type {ProviderStatus[] | null} */
let providers = null;
/** @type {HubApiError | null} */
let providersError = null;
/** @type {HubApiError | null} */
let listError = null;
/** @type {ModelHubPage | null} */
let current = null;
let sequence = 0;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return /** @type {T} */ (element);
}

/**
 * Create an element with a class and text.
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// -- options and state ---------------------------------------------------------------------

function apiKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/** @returns {import("./client.js").ClientOptions} */
function options() {
  const key = apiKey();
  return { baseUrl: location.origin + ROOT, prefix: API_PREFIX, apiKey: key || undefined };
}

/**
 * The filters for the API, leaving out `without` (for that facet's own counts).
 * @param {string} [without]
 * @returns {Filters}
 */
function filters(without) {
  /** @type {Filters} */
  const result = {};
  if (state.provider && without !== "provider") result.providers = state.provider;
  if (state.mode && without !== "mode") result.mode = state.mode;
  if (state.features.length && without !== "features") result.features = state.features;
  if (state.available) result.available = state.available === "true";
  return result;
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  // Links made before the page moved to filter[...] (provider=, mode=, ...) still open the same view.
  /** @param {keyof typeof URL_KEYS} name */
  const read = (name) => params.get(URL_KEYS[name]) ?? params.get(name) ?? "";
  state.q = params.get("q") || "";
  state.provider = read("provider");
  state.mode = read("mode");
  state.features = read("features").split(",").filter((f) => FEATURES.some(([v]) => v === f));
  const available = read("available");
  state.available = available === "true" || available === "false" ? available : "";
  const sort = params.get("sort") || DEFAULT_SORT;
  state.sort = SORTS.some(([v]) => v === sort) ? sort : DEFAULT_SORT;
  state.page = Math.max(1, Number.parseInt(params.get("page") || "1", 10) || 1);
}

function writeUrl() {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.provider) params.set(URL_KEYS.provider, state.provider);
  if (state.mode) params.set(URL_KEYS.mode, state.mode);
  if (state.features.length) params.set(URL_KEYS.features, state.features.join(","));
  if (state.available) params.set(URL_KEYS.available, state.available);
  if (state.sort !== DEFAULT_SORT) params.set("sort", state.sort);
  if (state.page > 1) params.set("page", String(state.page));
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function filtersActive() {
  return Boolean(state.q || state.provider || state.mode || state.features.length || state.available);
}

// -- formatting ------------------------------------------------------------------------------

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

/** @param {number} perMillion */
function money(perMillion) {
  if (perMillion === 0) return "$0";
  const digits = perMillion < 0.01 ? 4 : perMillion < 1 ? 3 : 2;
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: digits,
  }).format(perMillion);
}

/** @param {string | null | undefined} iso */
function age(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** @param {string | null | undefined} url */
function host(url) {
  if (!url) return "";
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/** @param {string} name */
function providerLabel(name) {
  const known = providers?.find((p) => p.name === name);
  return known?.display_name || name;
}

// -- banners -------------------------------------------------------------------------------

/**
 * @param {string} kind info | warning | error
 * @param {string} title
 * @param {string} [message]
 * @param {Record<string, string>} [data]
 */
function banner(kind, title, message, data = {}) {
  const node = el("div", `banner banner-${kind}`);
  node.setAttribute("role", kind === "error" ? "alert" : "status");
  for (const [key, value] of Object.entries(data)) node.dataset[key] = value;
  node.append(el("strong", "banner-title", title));
  if (message) node.append(el("span", "banner-message", message));
  return node;
}

/** @param {HubApiError | null} error */
function isUnauthorized(error) {
  return error !== null && error.status === 401;
}

function renderBanners() {
  const box = byId("banners");
  box.replaceChildren();
  renderKeyState();
  // With keys on, /public/providers needs one while the model hub may not: a 401 there is no fault,
  // and the key panel says that a key would show the providers' status.
  if (providersError && !isUnauthorized(providersError)) {
    box.append(
      banner("error", "Cannot read the providers' status.", problemText(providersError), { kind: "providers" }),
    );
  } else if (providers && providers.length === 0) {
    box.append(
      banner("warning", "No providers are installed.", "Install a provider plugin, such as hub-databricks.", {
        kind: "providers",
      }),
    );
  }
  for (const provider of providers || []) {
    const known = STATUS_BANNERS[provider.status];
    if (!known) continue;
    box.append(
      banner(known.kind, `${provider.display_name} ${known.text}.`, provider.message, {
        provider: provider.name,
        status: provider.status,
      }),
    );
  }
  if (listError) {
    // A detail that repeats the title (a gateway's "Missing or invalid API key.") is shown once.
    const detail = listError.problem.detail === listError.message ? "" : listError.problem.detail || "";
    const hint = isUnauthorized(listError) ? "This hub requires an API key: enter one above." : "";
    const message = [detail, hint].filter(Boolean).join(" ");
    box.append(banner("error", listError.message, message, { kind: "list" }));
  }
}

/** @param {HubApiError} error */
function problemText(error) {
  return error.problem.detail || error.message;
}

/** The key panel's summary: whether a key is set, and whether the hub refused the page for want of one. */
function renderKeyState() {
  const refused = isUnauthorized(providersError) || isUnauthorized(listError);
  let text = apiKey() ? "set" : "not set";
  if (refused && apiKey()) text = "refused";
  else if (refused) text = isUnauthorized(listError) ? "needed" : "needed for provider status";
  byId("key-state").textContent = text;
}

// -- the list -------------------------------------------------------------------------------

/** @param {ModelGroup} group */
function modelCell(group) {
  const cell = el("td", "cell-model");
  cell.dataset.label = "Model";
  const line = el("div", "model-line");
  const name = el("code", "model-name", group.model_group);
  const copy = /** @type {HTMLButtonElement} */ (el("button", "copy", "Copy"));
  copy.type = "button";
  copy.dataset.model = group.model_group;
  copy.setAttribute("aria-label", `Copy model name ${group.model_group}`);
  copy.title = "Copy the model name to use with a gateway";
  line.append(name, copy);
  cell.append(line);
  const details = el("div", "model-details");
  if (group.display_name) details.append(el("span", "display-name", group.display_name));
  const served = group.source === "live" ? group.served_by : null;
  if (served) details.append(el("span", "tag", SERVED_BY[served] || served.replaceAll("_", " ")));
  if (details.childNodes.length) cell.append(details);
  if (group.description) cell.title = group.description;
  return cell;
}

/** @param {ModelGroup} group */
function providerCell(group) {
  const cell = el("td", "cell-provider");
  cell.dataset.label = "Provider";
  const names = group.providers.length ? group.providers : [];
  cell.append(el("div", "provider-name", names.map(providerLabel).join(", ") || "—"));
  if (group.source === "live") {
    const places = new Map();
    for (const deployment of group.deployments || []) {
      if (deployment.target) places.set(deployment.target, host(deployment.target_url));
    }
    if (!places.size && group.target) places.set(group.target, host(group.endpoint_url));
    for (const [target, where] of places) {
      const workspace = el("div", "workspace");
      workspace.append(el("span", "visually-hidden", "Workspace: "));
      workspace.append(el("span", "workspace-name", target));
      if (where) workspace.title = `Workspace ${target} at ${where}`;
      cell.append(workspace);
    }
  }
  return cell;
}

/** @param {ModelGroup} group */
function capabilityCell(group) {
  const cell = el("td", "cell-capabilities");
  cell.dataset.label = "Capabilities";
  const list = el("ul", "badges");
  list.setAttribute("aria-label", "Capabilities");
  for (const [flag, label, title] of BADGES) {
    if (!group[flag]) continue;
    const item = el("li", `badge badge-${label.toLowerCase()}`, label);
    item.title = title;
    list.append(item);
  }
  if (list.childNodes.length) cell.append(list);
  else cell.append(el("span", "muted", "—"));
  return cell;
}

/** @param {ModelGroup} group */
function contextCell(group) {
  const cell = el("td", "num cell-context");
  cell.dataset.label = "Context";
  if (group.max_input_tokens == null) {
    cell.append(el("span", "muted", "—"));
    return cell;
  }
  const value = el("span", "context", compact.format(group.max_input_tokens));
  value.title = `${whole.format(group.max_input_tokens)} input tokens`;
  cell.append(value);
  if (group.max_output_tokens != null) {
    const out = el("div", "sub", `${compact.format(group.max_output_tokens)} out`);
    out.title = `${whole.format(group.max_output_tokens)} output tokens`;
    cell.append(out);
  }
  return cell;
}

/** @param {ModelGroup} group */
function priceCell(group) {
  const cell = el("td", "num cell-price");
  cell.dataset.label = "Price / 1M";
  const input = group.input_cost_per_token;
  const output = group.output_cost_per_token;
  if (input == null && output == null) {
    cell.append(el("span", "muted", "—"));
    return cell;
  }
  if (input != null) cell.append(el("div", "price", `${money(input * 1e6)} in`));
  if (output != null) cell.append(el("div", "price sub", `${money(output * 1e6)} out`));
  return cell;
}

/** @param {ModelGroup} group */
function statusCell(group) {
  const cell = el("td", "cell-status");
  cell.dataset.label = "Status";
  if (group.source === "catalog") {
    const badge = el("span", "status status-catalog", "Catalog entry");
    badge.title = "From the bundled catalog; not checked against a live deployment";
    cell.append(badge);
    return cell;
  }
  if (callable(group)) {
    cell.append(el("span", "status status-ok", "Available"));
    return cell;
  }
  cell.append(el("span", "status status-down", "Unavailable"));
  const reason = group.state_reason || group.state;
  if (reason) {
    const line = el("div", "reason", reason);
    line.title = [group.state, group.state_reason].filter(Boolean).join(": ");
    cell.append(line);
  }
  return cell;
}

/**
 * Whether an entry can be called now. A row from LiteLLM's own v1 API (a host route answering
 * instead of the hub's) has no `available`; its `health_status` says as much as it knows.
 * @param {ModelGroup} group
 */
function callable(group) {
  if (typeof group.available === "boolean") return group.available;
  return group.health_status !== "unhealthy";
}

/** @param {ModelGroup} group */
function row(group) {
  const tr = document.createElement("tr");
  tr.dataset.model = group.model_group;
  tr.dataset.available = String(callable(group));
  if (!callable(group)) tr.classList.add("unavailable");
  const mode = el("td", "cell-mode");
  mode.dataset.label = "Mode";
  if (group.mode && group.mode !== "unknown") mode.append(el("span", "mode", group.mode));
  else {
    const unknown = el("span", "muted", "unknown");
    unknown.title = "The provider does not say which API this endpoint serves";
    mode.append(unknown);
  }
  tr.append(
    modelCell(group),
    providerCell(group),
    mode,
    capabilityCell(group),
    contextCell(group),
    priceCell(group),
    statusCell(group),
  );
  return tr;
}

function renderList() {
  const body = byId("rows");
  const empty = byId("empty");
  const table = byId("table").parentElement || byId("table");
  const count = byId("count");
  if (!current) {
    body.replaceChildren();
    table.hidden = true;
    empty.hidden = !listError;
    empty.replaceChildren(el("p", "", "The model list could not be loaded; see the message above."));
    count.textContent = "";
    renderPager();
    return;
  }
  const { data, meta } = current;
  body.replaceChildren(...data.map(row));
  table.hidden = data.length === 0;
  const noun = meta.total_count === 1 ? "model group" : "model groups";
  count.textContent =
    meta.total_count === 0
      ? "No model groups"
      : `${whole.format(meta.total_count)} ${noun}${filtersActive() ? " match" : ""}`;
  empty.hidden = data.length > 0;
  empty.replaceChildren();
  if (data.length === 0) {
    if (meta.total_count > 0) {
      empty.append(el("p", "", `Page ${meta.page} is past the end of the list.`));
    } else if (filtersActive()) {
      empty.append(el("p", "", "No model groups match these filters."));
      const clear = /** @type {HTMLButtonElement} */ (el("button", "", "Clear filters"));
      clear.type = "button";
      clear.addEventListener("click", resetFilters);
      empty.append(clear);
    } else {
      const explained =
        (providers || []).some((p) => p.status !== "ok") || (providersError && !isUnauthorized(providersError));
      empty.append(
        el(
          "p",
          "",
          explained
            ? "There are no model groups to show. The messages above say why."
            : "The hub has no model groups to show yet.",
        ),
      );
    }
  }
  renderFreshness();
  renderPager();
  renderSortHeaders();
}

function renderFreshness() {
  const box = byId("freshness");
  box.replaceChildren();
  if (!current) return;
  for (const [name, info] of Object.entries(current.meta.providers || {})) {
    const chip = el("span", "fresh");
    chip.dataset.provider = name;
    chip.append(el("span", "fresh-name", providerLabel(name)));
    if (info.source === "catalog") {
      chip.append(el("span", "fresh-when", "bundled catalog"));
    } else if (info.fetched_at) {
      const when = el("span", "fresh-when", `updated ${age(info.fetched_at)}`);
      when.title = new Date(info.fetched_at).toLocaleString();
      chip.append(when);
    }
    if (info.stale) {
      const stale = el("span", "badge badge-stale", `stale · ${age(info.fetched_at).replace(" ago", " old")}`);
      stale.title = "The provider could not be refreshed; this is the last list the hub fetched.";
      chip.append(stale);
    }
    if (info.errors.length) {
      const partial = el("span", "badge badge-partial", "partial");
      partial.title = info.errors.join("\n");
      chip.append(partial);
    }
    box.append(chip);
  }
}

function renderPager() {
  const prev = /** @type {HTMLButtonElement} */ (byId("prev"));
  const next = /** @type {HTMLButtonElement} */ (byId("next"));
  const info = byId("page-info");
  const meta = current?.meta;
  const pages = meta ? Math.max(meta.total_pages, 1) : 1;
  prev.disabled = !meta || meta.page <= 1;
  next.disabled = !meta || meta.page >= meta.total_pages;
  info.textContent = meta ? `Page ${meta.page} of ${pages}` : "";
  byId("results").querySelector(".pager")?.toggleAttribute("hidden", !meta || pages <= 1);
}

function renderSortHeaders() {
  const [primary] = state.sort.split(",");
  const descending = primary.startsWith("-");
  const field = primary.replace(/^-/, "");
  for (const th of document.querySelectorAll("th[data-sort-field]")) {
    const header = /** @type {HTMLElement} */ (th);
    if (header.dataset.sortField === field) header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    else header.removeAttribute("aria-sort");
  }
}

/**
 * @param {HTMLSelectElement} select
 * @param {string} allLabel
 * @param {PromiseSettledResult<FacetList>} result
 * @param {string} selected
 * @param {(value: string, label: string | null | undefined) => string} label
 */
function fillSelect(select, allLabel, result, selected, label) {
  const meta = result.status === "fulfilled" ? result.value.meta : null;
  const counts = meta?.counts || {};
  // The API lists values in ascending order; the menu puts the most common first.
  const items = (result.status === "fulfilled" ? result.value.data : [])
    .map((value) => ({ value, count: counts[value], label: meta?.labels?.[value] }))
    .sort((a, b) => (b.count || 0) - (a.count || 0) || (a.value < b.value ? -1 : 1));
  const choices = [el("option", "", allLabel)];
  /** @type {HTMLOptionElement} */ (choices[0]).value = "";
  let found = selected === "";
  for (const item of items) {
    const counted = item.count === undefined ? "" : ` (${item.count})`; // LiteLLM's facets carry no counts
    const option = /** @type {HTMLOptionElement} */ (el("option", "", `${label(item.value, item.label)}${counted}`));
    option.value = item.value;
    if (item.value === selected) found = true;
    choices.push(option);
  }
  if (!found) {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", `${label(selected, null)} (0)`));
    option.value = selected;
    choices.push(option);
  }
  select.replaceChildren(...choices);
  select.value = selected;
}

/** @param {PromiseSettledResult<FacetList>} result */
function fillFeatureCounts(result) {
  const known = result.status === "fulfilled" ? result.value.meta.counts : undefined;
  const counts = new Map(Object.entries(known || {}));
  for (const [value] of FEATURES) {
    const holder = document.querySelector(`[data-feature-count="${value}"]`);
    if (holder) holder.textContent = known ? `(${counts.get(value) || 0})` : "";
  }
}

// -- loading --------------------------------------------------------------------------------

async function loadProviders() {
  try {
    providers = await getProviders(options());
    providersError = null;
  } catch (error) {
    providers = null;
    providersError = asHubError(error);
  }
  renderBanners();
}

/** @param {unknown} error */
function asHubError(error) {
  if (error instanceof HubApiError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new HubApiError({ type: "about:blank", title: "Unexpected error", status: 0, detail }, 0);
}

async function refresh() {
  const mine = ++sequence;
  writeUrl();
  const results = byId("results");
  results.setAttribute("aria-busy", "true");
  const opts = options();
  const q = state.q;
  const pageRequest = modelHubPage({ page: state.page, pageSize: PAGE_SIZE, sort: state.sort, q, filters: filters() }, opts);
  const facets = Promise.allSettled([
    modelHubFacet("providers", { q, filters: filters("provider"), pageSize: 100 }, opts),
    modelHubFacet("modes", { q, filters: filters("mode"), pageSize: 100 }, opts),
    modelHubFacet("features", { q, filters: filters("features"), pageSize: 100 }, opts),
  ]);
  try {
    const page = await pageRequest;
    if (mine !== sequence) return;
    current = page;
    listError = null;
  } catch (error) {
    if (mine !== sequence) return;
    current = null;
    listError = asHubError(error);
  }
  const [providerFacet, modeFacet, featureFacet] = await facets;
  if (mine !== sequence) return;
  fillSelect(/** @type {HTMLSelectElement} */ (byId("provider")), "All providers", providerFacet, state.provider,
    (value, label) => label || providerLabel(value));
  fillSelect(/** @type {HTMLSelectElement} */ (byId("mode")), "All modes", modeFacet, state.mode, (value) => value);
  fillFeatureCounts(featureFacet);
  renderBanners();
  renderList();
  results.setAttribute("aria-busy", "false");
  document.body.dataset.ready = "true";
}

// -- controls -------------------------------------------------------------------------------

/** @type {number | undefined} */
let searchTimer;

function syncControls() {
  /** @type {HTMLInputElement} */ (byId("q")).value = state.q;
  /** @type {HTMLSelectElement} */ (byId("available")).value = state.available;
  /** @type {HTMLSelectElement} */ (byId("sort")).value = state.sort;
  for (const box of document.querySelectorAll('input[name="features"]')) {
    const input = /** @type {HTMLInputElement} */ (box);
    input.checked = state.features.includes(input.value);
  }
}

/** Back to the page as first opened: no search, no filter, the default sort (the form's own reset would do the same). */
function resetFilters() {
  Object.assign(state, { q: "", provider: "", mode: "", features: [], available: "", sort: DEFAULT_SORT, page: 1 });
  syncControls();
  refresh();
}

function buildControls() {
  const sort = /** @type {HTMLSelectElement} */ (byId("sort"));
  sort.replaceChildren(
    ...SORTS.map(([value, label]) => {
      const option = /** @type {HTMLOptionElement} */ (el("option", "", label));
      option.value = value;
      return option;
    }),
  );
  const features = byId("feature-list");
  for (const [value, label] of FEATURES) {
    const wrap = el("label", "check");
    const input = /** @type {HTMLInputElement} */ (document.createElement("input"));
    input.type = "checkbox";
    input.name = "features";
    input.value = value;
    const count = el("span", "facet-count");
    count.dataset.featureCount = value;
    wrap.append(input, document.createTextNode(` ${label} `), count);
    features.append(wrap);
  }
  for (const th of document.querySelectorAll("th[data-sort-field]")) {
    const header = /** @type {HTMLElement} */ (th);
    const button = /** @type {HTMLButtonElement} */ (el("button", "sort-button"));
    button.type = "button";
    button.title = `Sort by ${header.textContent?.trim()}`;
    button.append(...header.childNodes, el("span", "sort-icon"));
    button.querySelector(".sort-icon")?.setAttribute("aria-hidden", "true");
    header.append(button);
    button.addEventListener("click", () => {
      const field = header.dataset.sortField || DEFAULT_SORT;
      const [primary] = state.sort.split(",");
      let descending = header.dataset.sortFirst === "desc";
      if (primary.replace(/^-/, "") === field) descending = !primary.startsWith("-");
      state.sort = `${descending ? "-" : ""}${field}`;
      state.page = 1;
      syncControls();
      refresh();
    });
  }
}

function bindControls() {
  const form = /** @type {HTMLFormElement} */ (byId("filters"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(searchTimer);
    state.q = /** @type {HTMLInputElement} */ (byId("q")).value.trim();
    state.page = 1;
    refresh();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    resetFilters();
  });
  byId("q").addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      const value = /** @type {HTMLInputElement} */ (byId("q")).value.trim();
      if (value === state.q) return;
      state.q = value;
      state.page = 1;
      refresh();
    }, 200);
  });
  for (const id of ["provider", "mode", "available", "sort"]) {
    byId(id).addEventListener("change", (event) => {
      const value = /** @type {HTMLSelectElement} */ (event.target).value;
      if (id === "provider") state.provider = value;
      if (id === "mode") state.mode = value;
      if (id === "available") state.available = value;
      if (id === "sort") state.sort = value || DEFAULT_SORT;
      state.page = 1;
      refresh();
    });
  }
  byId("feature-list").addEventListener("change", () => {
    state.features = [...document.querySelectorAll('input[name="features"]:checked')].map(
      (box) => /** @type {HTMLInputElement} */ (box).value,
    );
    state.page = 1;
    refresh();
  });
  byId("prev").addEventListener("click", () => turnPage(-1));
  byId("next").addEventListener("click", () => turnPage(1));
  byId("rows").addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const button = target.closest("button.copy");
    if (button instanceof HTMLButtonElement) copyModel(button);
  });
  document.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    const typing = active instanceof HTMLInputElement || active instanceof HTMLSelectElement;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      byId("q").focus();
    }
  });
  bindKeyForm();
}

/** @param {number} step */
function turnPage(step) {
  state.page = Math.max(1, state.page + step);
  refresh().then(() => byId("results").focus());
}

function bindKeyForm() {
  const input = /** @type {HTMLInputElement} */ (byId("api-key"));
  // Until the hub answers with this key, say only whether one is set.
  const show = () => {
    byId("key-state").textContent = apiKey() ? "set" : "not set";
  };
  input.value = apiKey();
  show();
  byId("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      if (input.value.trim()) sessionStorage.setItem(KEY_STORAGE, input.value.trim());
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      toast("This browser does not allow storing the key.");
    }
    show();
    reloadAll();
  });
  byId("key-clear").addEventListener("click", () => {
    try {
      sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // nothing stored
    }
    input.value = "";
    show();
    reloadAll();
  });
}

function reloadAll() {
  loadProviders().then(refresh);
}

// -- copy -----------------------------------------------------------------------------------

/** @param {string} text */
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-http hubs have no async clipboard API; fall back to a selection copy.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

/** @param {HTMLButtonElement} button */
async function copyModel(button) {
  const name = button.dataset.model || "";
  try {
    await copyText(name);
    button.dataset.copied = "true";
    button.textContent = "Copied";
    toast(`Copied ${name}`);
    window.setTimeout(() => {
      button.textContent = "Copy";
      delete button.dataset.copied;
    }, 1500);
  } catch {
    toast(`Could not copy. The model name is ${name}`);
  }
}

/** @type {number | undefined} */
let toastTimer;

/** @param {string} message */
function toast(message) {
  const box = byId("toast");
  box.textContent = message;
  box.classList.add("show");
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => box.classList.remove("show"), 2500);
}

// -- start ----------------------------------------------------------------------------------

function start() {
  const docs = /** @type {HTMLAnchorElement} */ (byId("api-docs"));
  docs.href = `${ROOT}${DOCS_PATH}`;
  docs.hidden = !DOCS_PATH;
  buildControls();
  readUrl();
  syncControls();
  bindControls();
  loadProviders().then(refresh);
  window.setInterval(renderFreshness, 30_000);
}

start();
