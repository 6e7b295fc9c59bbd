package saml

import (
	"crypto/sha256"
	"sync"

	"github.com/latchkey/latchkey/internal/cache"
)

// metadataCacheSize bounds the parsed documents kept: a provider's document is up to 10 MB.
const metadataCacheSize = 256

// MetadataCache keeps parsed IdP metadata by the SHA-256 of its document, so a document is parsed
// once however many assertions it verifies, and a replaced document is parsed afresh. The zero
// value is ready to use.
type MetadataCache struct {
	once sync.Once
	c    cache.Bounded[[32]byte, *Metadata]
}

// Parse answers the parsed form of doc, parsing it on first use.
func (m *MetadataCache) Parse(doc string) (*Metadata, error) {
	m.once.Do(func() { m.c.Max = metadataCacheSize })
	return m.c.Get(sha256.Sum256([]byte(doc)), func() (*Metadata, error) { return ParseMetadata(doc) })
}
