package saml

import "testing"

func TestMetadataCacheParsesOnce(t *testing.T) {
	idp := crewjamIdP(providerKey, nil)
	doc := crewjamMetadata(t, idp)
	var c MetadataCache
	first, err := c.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Parse(doc)
	if err != nil || again != first {
		t.Fatalf("the same document was parsed again (%p, %p) or failed: %v", first, again, err)
	}
	if _, err := c.Parse("<not-metadata/>"); err == nil {
		t.Fatal("a document that is not metadata parsed")
	}
	if _, err := c.Parse("<not-metadata/>"); err == nil {
		t.Fatal("a refused document was cached as valid")
	}
	if c.c.Max != metadataCacheSize {
		t.Fatalf("bound %d, want %d", c.c.Max, metadataCacheSize)
	}
}
