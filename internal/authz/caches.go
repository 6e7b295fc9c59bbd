package authz

// CacheStats is a cache's count of hits and misses.
type CacheStats interface {
	Stats() (hits, misses uint64)
}

// Caches are the engine's caches by name, for the metrics: parsed policy documents and each
// principal's loaded policies.
func (e *Engine) Caches() map[string]CacheStats {
	return map[string]CacheStats{"policy_documents": &e.parsed, "principal_policies": &e.loaded}
}
