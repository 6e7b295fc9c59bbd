package saml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"

	// SAML documents are a handful of levels deep; a low limit keeps a hostile document from
	// making every later tree walk expensive.
	maxXMLDepth = 64
)

var errNotUTF8 = errors.New("only UTF-8 documents are accepted")

// parseXML turns untrusted bytes into a tree, refusing everything that has been used to make
// two XML readers see different documents: tokens that change on an encoding/xml round trip
// (mattermost/xml-roundtrip-validator), DTDs (entity tricks), non-UTF-8 encodings (the
// declared charset would otherwise be ignored), processing instructions and more than one root.
func parseXML(raw []byte) (*etree.Document, error) {
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("xml round-trip validation: %w", err)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: func(string, io.Reader) (io.Reader, error) { return nil, errNotUTF8 },
		MaxDepth:      maxXMLDepth,
	}
	if err := doc.ReadFromBytes(raw); err != nil {
		if bytes.Contains(raw, []byte("<!DOCTYPE")) || bytes.Contains(raw, []byte("<!ENTITY")) {
			return nil, fmt.Errorf("DTDs are not allowed: %w", err)
		}
		return nil, fmt.Errorf("xml: %w", err)
	}
	roots := 0
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, errors.New("text outside the root element")
			}
		case *etree.ProcInst:
			if t.Target != "xml" || t.Index() != 0 {
				return nil, fmt.Errorf("processing instruction %q is not allowed", t.Target)
			}
		case *etree.Directive:
			return nil, errors.New("DTDs are not allowed")
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("the document has %d root elements, want 1", roots)
	}
	if err := checkTokens(doc.Root()); err != nil {
		return nil, err
	}
	return doc, nil
}

// checkTokens refuses directives and processing instructions below the root, and element
// prefixes that are not declared: etree would silently give such an element no namespace,
// while other XML readers refuse the document.
func checkTokens(el *etree.Element) error {
	if el.Space != "" && el.NamespaceURI() == "" {
		return fmt.Errorf("undeclared namespace prefix %q", el.Space)
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if err := checkTokens(t); err != nil {
				return err
			}
		case *etree.Directive:
			return errors.New("DTDs are not allowed")
		case *etree.ProcInst:
			return fmt.Errorf("processing instruction %q is not allowed", t.Target)
		}
	}
	return nil
}

// is reports whether el is the element {ns}local.
func is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// children returns the direct children {ns}local of el, in document order.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// walk calls fn for el and every element below it, in document order.
func walk(el *etree.Element, fn func(*etree.Element)) {
	fn(el)
	for _, c := range el.ChildElements() {
		walk(c, fn)
	}
}

// textContent is the whole character content of a simple element. Comments are skipped and the
// text on both sides of them is joined, so `admin<!---->@evil.com` reads as "admin@evil.com",
// never as "admin" (the CVE-2017-11427 truncation). Child elements are refused because a simple
// value has none and a reader that took only part of the content is exactly that bug.
func textContent(el *etree.Element) (string, error) {
	var b strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Comment:
		case *etree.Element:
			return "", fmt.Errorf("<%s> has a child element <%s>", el.Tag, t.Tag)
		default:
			return "", fmt.Errorf("<%s> has unexpected content", el.Tag)
		}
	}
	return b.String(), nil
}

// attr returns the value of the unprefixed attribute key and whether it is present.
func attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// nsAttr returns the value of the attribute {ns}key.
func nsAttr(el *etree.Element, ns, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space != "" && a.Space != "xmlns" && a.Key == key && lookupPrefix(el, a.Space) == ns {
			return a.Value, true
		}
	}
	return "", false
}

// lookupPrefix resolves a namespace prefix in el's scope. It does not rely on etree's
// per-attribute back pointers, which elements built by goxmldsig's helpers lack.
func lookupPrefix(el *etree.Element, prefix string) string {
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// parseTime reads an xs:dateTime. SAML requires UTC; an explicit offset is harmless and
// accepted, a value without any zone is not, because its instant is unknown.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid xs:dateTime %q", s)
	}
	return t.UTC(), nil
}

// timeAttr parses an optional time attribute.
func timeAttr(el *etree.Element, key string) (*time.Time, error) {
	v, ok := attr(el, key)
	if !ok {
		return nil, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return nil, fmt.Errorf("<%s %s>: %w", el.Tag, key, err)
	}
	return &t, nil
}
