// @ts-check
/**
 * A small client for the hub's HTTP API. Plain ES module, no dependencies, no build step.
 *
 *   import { modelHubPage } from "/hub/static/client.js";
 *   const { data, meta } = await modelHubPage({ q: "claude", sort: "-max_input_tokens" });
 *
 * Every function takes optional `opts`: `baseUrl` (default: this page's origin), `prefix` (where the
 * hub's API is mounted, default "/public") and `apiKey` (sent as `Authorization: Bearer <key>`).
 * On an error response each rejects with a {@link HubApiError} whose message is the hub's
 * problem+json `title`.
 *
 * @module client
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} [baseUrl] Where the app serving the hub is, e.g. "https://gateway.example/"; default: same origin.
 * @property {string} [prefix] The path the hub's API is mounted at (`include_hub(prefix=...)`); default "/public".
 * @property {string} [apiKey] A bearer key, when the hub (or the gateway it is mounted in) requires one.
 * @property {AbortSignal} [signal] Cancels the request.
 */

/**
 * An RFC 9457 problem, as the hub returns it.
 * @typedef {object} Problem
 * @property {string} type
 * @property {string} title
 * @property {number} status
 * @property {string} [detail]
 * @property {string} [instance]
 * @property {string} [parameter] The query parameter that was wrong (400 from the v1 API).
 * @property {string} [provider]
 */

/**
 * @typedef {"ok" | "not_configured" | "disabled" | "failed_to_load" | "error"} ProviderState
 */

/**
 * A row of `GET /public/providers`.
 * @typedef {object} ProviderStatus
 * @property {string} name
 * @property {string} display_name
 * @property {string | null} [distribution]
 * @property {string | null} [version]
 * @property {ProviderState} status
 * @property {string} message
 * @property {"live" | "catalog" | null} [source]
 * @property {string[]} targets
 * @property {string[]} hooks
 * @property {string | null} [fetched_at]
 */

/**
 * @typedef {object} Deployment
 * @property {string | null} target
 * @property {string | null} target_url
 * @property {string} endpoint_name
 * @property {string | null} endpoint_url
 * @property {string | null} state
 * @property {boolean} available
 * @property {string | null} state_reason
 */

/**
 * A model-hub entry (field names follow LiteLLM's ModelGroupInfo).
 * @typedef {object} ModelGroup
 * @property {string} model_group
 * @property {string[]} providers
 * @property {string} mode "unknown" when the hub does not know it.
 * @property {number | null} max_input_tokens
 * @property {number | null} max_output_tokens
 * @property {number | null} input_cost_per_token
 * @property {number | null} output_cost_per_token
 * @property {boolean} supports_function_calling
 * @property {boolean} supports_parallel_function_calling
 * @property {boolean} supports_vision
 * @property {boolean} supports_reasoning
 * @property {"live" | "catalog"} source
 * @property {string | null} state
 * @property {boolean} available
 * @property {string | null} state_reason
 * @property {string | null} display_name
 * @property {string | null} description
 * @property {string | null} endpoint_url
 * @property {string | null} served_by
 * @property {string | null} target
 * @property {Deployment[]} deployments
 * @property {"healthy" | "unhealthy" | null} health_status LiteLLM's field; null for catalog entries.
 * @property {string | null} health_reason Why an entry is unhealthy, e.g. "NOT_READY: UPDATE_FAILED".
 */

/**
 * @typedef {object} Endpoint
 * @property {string} provider
 * @property {string} name
 * @property {string | null} target
 * @property {string | null} endpoint_url
 * @property {string | null} mode
 * @property {string | null} state
 * @property {boolean} available
 * @property {string | null} state_reason
 */

/**
 * The body of `GET /public/{provider}/endpoints`.
 * @typedef {object} EndpointList
 * @property {string} provider
 * @property {Endpoint[]} endpoints
 * @property {"live" | "catalog"} source
 * @property {string | null} fetched_at
 * @property {boolean} stale
 * @property {string[]} errors
 */

/**
 * The body of `GET /public/databricks/serving_endpoints` (LiteLLM's earlier shape).
 * @typedef {object} DatabricksServingEndpoints
 * @property {Array<Record<string, unknown>>} endpoints
 * @property {string | null} workspace_url
 * @property {"live" | "catalog"} source
 * @property {string | null} fetched_at
 * @property {boolean} stale
 */

/**
 * Filters for the v1 routes; each becomes one of LiteLLM's `filter[...]` parameters.
 * A list matches entries with **any** of its values (`[in]`); different filters combine with AND.
 * @typedef {object} Filters
 * @property {string | string[]} [providers] `filter[providers][in]`: entries with any of these providers.
 * @property {string | string[]} [provider] The same as `providers` (the earlier name).
 * @property {string} [providersContains] `filter[providers][contains]`: a provider containing this text.
 * @property {string | string[]} [mode] `filter[mode][in]`; "unknown" selects entries whose mode is not known.
 * @property {string[]} [features] `filter[features][in]`: any of "function_calling",
 *   "parallel_function_calling", "vision", "reasoning".
 * @property {boolean} [available] `filter[available]` (the hub's own filter).
 * @property {"live" | "catalog"} [source] `filter[source]` (the hub's own filter).
 */

/**
 * @typedef {object} ProviderFreshness
 * @property {"live" | "catalog"} source
 * @property {boolean} stale
 * @property {string | null} fetched_at
 * @property {string[]} errors
 */

/**
 * LiteLLM's `ListMeta`, plus the hub's freshness.
 * @typedef {object} PageMeta
 * @property {number} total_count
 * @property {number} page
 * @property {number} page_size
 * @property {number} total_pages
 * @property {string} sort
 * @property {string | null} fetched_at
 * @property {boolean} stale
 * @property {Record<string, ProviderFreshness>} providers
 */

/**
 * @typedef {object} PageLinks
 * @property {string} self
 * @property {string} first
 * @property {string | null} prev
 * @property {string | null} next
 * @property {string} last
 */

/**
 * The body of `GET /public/v1/model_hub` (LiteLLM's `ListResponse`).
 * @typedef {object} ModelHubPage
 * @property {ModelGroup[]} data
 * @property {PageMeta} meta
 * @property {PageLinks} links
 */

/**
 * LiteLLM's `PageMeta`, plus the hub's counts, labels and freshness.
 * @typedef {object} FacetMeta
 * @property {number} page
 * @property {number} page_size
 * @property {boolean} has_more
 * @property {number} total Entries matching the filters.
 * @property {Record<string, number>} counts Matching entries per value of this page.
 * @property {Record<string, string>} [labels] Display names (providers only).
 * @property {string | null} fetched_at
 * @property {boolean} stale
 * @property {Record<string, ProviderFreshness>} providers
 */

/**
 * The body of `GET /public/v1/model_hub/{providers|modes|features}` (LiteLLM's `FacetListResponse`).
 * @typedef {object} FacetList
 * @property {string[]} data The values, in ascending order.
 * @property {FacetMeta} meta
 * @property {{self: string, prev: string | null, next: string | null}} links
 */

/** An error response from the hub: `message` is the problem's title. */
export class HubApiError extends Error {
  /**
   * @param {Problem} problem
   * @param {number} status
   */
  constructor(problem, status) {
    super(problem.title);
    this.name = "HubApiError";
    /** @type {Problem} */
    this.problem = problem;
    /** @type {number} */
    this.status = status;
  }
}

/**
 * @param {ClientOptions} opts
 * @param {string} path Under the API prefix, e.g. "/v1/model_hub".
 * @param {URLSearchParams} [params]
 * @returns {string}
 */
function buildUrl(opts, path, params) {
  const query = params && [...params.keys()].length ? `?${params}` : "";
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");
  const prefix = (opts.prefix ?? "/public").replace(/\/+$/, "");
  return `${base}${prefix}${path}${query}`;
}

/**
 * @param {Response} response
 * @returns {Promise<Problem>}
 */
async function readProblem(response) {
  const fallback = {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
  };
  const type = response.headers.get("content-type") || "";
  if (!type.includes("json")) return fallback;
  try {
    const body = await response.json();
    if (body && typeof body === "object" && typeof body.title === "string") return body;
  } catch {
    // not JSON after all: keep the fallback
  }
  return fallback;
}

/**
 * GET a JSON document from the hub.
 * @template T
 * @param {string} path Under the API prefix, e.g. "/providers".
 * @param {URLSearchParams | undefined} params
 * @param {ClientOptions} [opts]
 * @returns {Promise<T>}
 */
export async function getJson(path, params, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json, application/problem+json" };
  if (opts.apiKey) headers.Authorization = `Bearer ${opts.apiKey}`;
  /** @type {Response} */
  let response;
  try {
    response = await fetch(buildUrl(opts, path, params), { headers, signal: opts.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new HubApiError({ type: "about:blank", title: "Cannot reach the hub", status: 0, detail }, 0);
  }
  if (!response.ok) {
    const problem = await readProblem(response);
    throw new HubApiError(problem, response.status);
  }
  return /** @type {Promise<T>} */ (response.json());
}

/**
 * @param {string | string[] | undefined} value
 * @returns {string | undefined}
 */
function commaList(value) {
  if (value === undefined || value === null) return undefined;
  const items = (Array.isArray(value) ? value : [value]).filter((v) => v !== "");
  return items.length ? items.join(",") : undefined;
}

/**
 * The query parameters shared by the v1 page and its facets, in LiteLLM's grammar.
 * @param {{q?: string, filters?: Filters}} query
 * @returns {URLSearchParams}
 */
function filterParams({ q, filters = {} }) {
  const params = new URLSearchParams();
  if (q && q.trim()) params.set("q", q.trim());
  const providers = commaList(filters.providers ?? filters.provider);
  if (providers) params.set("filter[providers][in]", providers);
  if (filters.providersContains) params.set("filter[providers][contains]", filters.providersContains);
  const mode = commaList(filters.mode);
  if (mode) params.set("filter[mode][in]", mode);
  const features = commaList(filters.features);
  if (features) params.set("filter[features][in]", features);
  if (typeof filters.available === "boolean") params.set("filter[available]", String(filters.available));
  if (filters.source) params.set("filter[source]", filters.source);
  return params;
}

/**
 * Installed providers and their status (`GET /public/providers`).
 * @param {ClientOptions} [opts]
 * @returns {Promise<ProviderStatus[]>}
 */
export function getProviders(opts = {}) {
  return getJson("/providers", undefined, opts);
}

/**
 * A provider's deployed endpoints (`GET /public/{provider}/endpoints`).
 * @param {string} provider
 * @param {ClientOptions} [opts]
 * @returns {Promise<EndpointList>}
 */
export function getProviderEndpoints(provider, opts = {}) {
  return getJson(`/${encodeURIComponent(provider)}/endpoints`, undefined, opts);
}

/**
 * The Databricks workspace's serving endpoints, in the shape of LiteLLM's earlier design
 * (`GET /public/databricks/serving_endpoints`).
 * @param {ClientOptions} [opts]
 * @returns {Promise<DatabricksServingEndpoints>}
 */
export function getDatabricksServingEndpoints(opts = {}) {
  return getJson("/databricks/serving_endpoints", undefined, opts);
}

/**
 * Every model-hub entry, merged or for one provider (`GET /public/model_hub`).
 * Takes a provider name, as LiteLLM's dashboard calls it (`modelHubPublicModelsCall("databricks")`),
 * or `{provider}`, or nothing (every provider, merged).
 * @param {string | {provider?: string}} [query]
 * @param {ClientOptions} [opts]
 * @returns {Promise<ModelGroup[]>}
 */
export function modelHubPublicModelsCall(query = {}, opts = {}) {
  const provider = typeof query === "string" ? query : query?.provider;
  const params = new URLSearchParams();
  if (provider) params.set("provider", provider);
  return getJson("/model_hub", params, opts);
}

/**
 * One page of model-hub entries, sorted, searched and filtered (`GET /public/v1/model_hub`).
 * @param {{page?: number, pageSize?: number, sort?: string | string[], q?: string, filters?: Filters}} [query]
 * @param {ClientOptions} [opts]
 * @returns {Promise<ModelHubPage>}
 */
export function modelHubPage({ page, pageSize, sort, q, filters } = {}, opts = {}) {
  const params = filterParams({ q, filters });
  if (page !== undefined) params.set("page", String(page));
  if (pageSize !== undefined) params.set("page_size", String(pageSize));
  const order = commaList(sort);
  if (order) params.set("sort", order);
  return getJson("/v1/model_hub", params, opts);
}

/**
 * Distinct values of one facet (ascending, with counts in `meta.counts`), under the given search and filters
 * (`GET /public/v1/model_hub/{facet}`).
 * @param {"providers" | "modes" | "features"} facet
 * @param {{q?: string, filters?: Filters, page?: number, pageSize?: number}} [query]
 * @param {ClientOptions} [opts]
 * @returns {Promise<FacetList>}
 */
export function modelHubFacet(facet, { q, filters, page, pageSize } = {}, opts = {}) {
  const params = filterParams({ q, filters });
  if (page !== undefined) params.set("page", String(page));
  if (pageSize !== undefined) params.set("page_size", String(pageSize));
  return getJson(`/v1/model_hub/${encodeURIComponent(facet)}`, params, opts);
}
