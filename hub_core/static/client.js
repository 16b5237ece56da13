// @ts-check
/**
 * A small client for the hub's HTTP API. Plain ES module, no dependencies, no build step.
 *
 *   import { modelHubPage } from "/hub/static/client.js";
 *   const { data, meta } = await modelHubPage({ q: "claude", sort: "-max_input_tokens" });
 *
 * Every function takes optional `opts`: `baseUrl` (default: this page's origin) and `apiKey`
 * (sent as `Authorization: Bearer <key>`). On an error response each rejects with a
 * {@link HubApiError} whose message is the hub's problem+json `title`.
 *
 * @module client
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} [baseUrl] Where the hub is, e.g. "https://gateway.example/"; default: same origin.
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
 * @property {string | null} mode
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
 * @typedef {object} Filters
 * @property {string | string[]} [provider]
 * @property {string | string[]} [mode]
 * @property {string[]} [features] Any of "function_calling", "parallel_function_calling", "vision", "reasoning".
 * @property {boolean} [available]
 * @property {"live" | "catalog"} [source]
 */

/**
 * @typedef {object} ProviderFreshness
 * @property {"live" | "catalog"} source
 * @property {boolean} stale
 * @property {string | null} fetched_at
 * @property {string[]} errors
 */

/**
 * @typedef {object} PageMeta
 * @property {number} page
 * @property {number} page_size
 * @property {number} total
 * @property {number} pages
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
 * The body of `GET /public/v1/model_hub`.
 * @typedef {object} ModelHubPage
 * @property {ModelGroup[]} data
 * @property {PageMeta} meta
 * @property {PageLinks} links
 */

/**
 * @typedef {object} FacetValue
 * @property {string} value
 * @property {number} count
 * @property {string | null} [label]
 */

/**
 * The body of `GET /public/v1/model_hub/{providers|modes|features}`.
 * @typedef {object} FacetList
 * @property {FacetValue[]} data
 * @property {{total: number, fetched_at: string | null, stale: boolean, providers: Record<string, ProviderFreshness>}} meta
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
 * @param {string | undefined} baseUrl
 * @param {string} path
 * @param {URLSearchParams} [params]
 * @returns {string}
 */
function buildUrl(baseUrl, path, params) {
  const query = params && [...params.keys()].length ? `?${params}` : "";
  const base = (baseUrl ?? "").replace(/\/+$/, "");
  return `${base}${path}${query}`;
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
 * @param {string} path
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
    response = await fetch(buildUrl(opts.baseUrl, path, params), { headers, signal: opts.signal });
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
 * The query parameters shared by the v1 page and its facets.
 * @param {{q?: string, filters?: Filters}} query
 * @returns {URLSearchParams}
 */
function filterParams({ q, filters = {} }) {
  const params = new URLSearchParams();
  if (q && q.trim()) params.set("q", q.trim());
  const provider = commaList(filters.provider);
  if (provider) params.set("provider", provider);
  const mode = commaList(filters.mode);
  if (mode) params.set("mode", mode);
  const features = commaList(filters.features);
  if (features) params.set("features", features);
  if (typeof filters.available === "boolean") params.set("available", String(filters.available));
  if (filters.source) params.set("source", filters.source);
  return params;
}

/**
 * Installed providers and their status (`GET /public/providers`).
 * @param {ClientOptions} [opts]
 * @returns {Promise<ProviderStatus[]>}
 */
export function getProviders(opts = {}) {
  return getJson("/public/providers", undefined, opts);
}

/**
 * A provider's deployed endpoints (`GET /public/{provider}/endpoints`).
 * @param {string} provider
 * @param {ClientOptions} [opts]
 * @returns {Promise<EndpointList>}
 */
export function getProviderEndpoints(provider, opts = {}) {
  return getJson(`/public/${encodeURIComponent(provider)}/endpoints`, undefined, opts);
}

/**
 * The Databricks workspace's serving endpoints, in the shape of LiteLLM's earlier design
 * (`GET /public/databricks/serving_endpoints`).
 * @param {ClientOptions} [opts]
 * @returns {Promise<DatabricksServingEndpoints>}
 */
export function getDatabricksServingEndpoints(opts = {}) {
  return getJson("/public/databricks/serving_endpoints", undefined, opts);
}

/**
 * Every model-hub entry, merged or for one provider (`GET /public/model_hub`).
 * @param {{provider?: string}} [query]
 * @param {ClientOptions} [opts]
 * @returns {Promise<ModelGroup[]>}
 */
export function modelHubPublicModelsCall({ provider } = {}, opts = {}) {
  const params = new URLSearchParams();
  if (provider) params.set("provider", provider);
  return getJson("/public/model_hub", params, opts);
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
  return getJson("/public/v1/model_hub", params, opts);
}

/**
 * Distinct values of one facet with counts, under the given search and filters
 * (`GET /public/v1/model_hub/{facet}`).
 * @param {"providers" | "modes" | "features"} facet
 * @param {{q?: string, filters?: Filters}} [query]
 * @param {ClientOptions} [opts]
 * @returns {Promise<FacetList>}
 */
export function modelHubFacet(facet, { q, filters } = {}, opts = {}) {
  return getJson(`/public/v1/model_hub/${encodeURIComponent(facet)}`, filterParams({ q, filters }), opts);
}
