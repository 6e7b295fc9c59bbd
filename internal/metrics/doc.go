// Package metrics holds the Prometheus metrics that Latchkey's services report into: upstream
// IdP fetches, key-ring ages, cache hits and misses, store latency and errors, and build info.
// Services never import it: each declares the small recorder interface it calls (for example
// oidc.FetchRecorder or sqlstore.Observer) and the application wires a *Metrics in, so a service
// built without metrics records nothing. Every label takes its values from a closed set (operation
// kinds, error kinds, cache and ring names chosen in code) or from configuration (the issuers of
// registered OIDC providers), so no request can grow a metric's cardinality.
package metrics
