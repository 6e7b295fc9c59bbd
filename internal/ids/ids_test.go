package ids

import (
	"strings"
	"testing"
)

func TestAccountFromAWSKeyIDs(t *testing.T) {
	// Access key ids whose account is known (the decoding AWS's GetAccessKeyInfo performs).
	for id, want := range map[string]string{
		"ASIAY34FZKBOKMUTVV7A": "609629065308",
		"AKIARZPUZDIKAAJDIVTY": "123456789012",
	} {
		got, ok := AccountFromAccessKeyID(id)
		if !ok || got != want {
			t.Errorf("%s: got %q %v, want %s", id, got, ok, want)
		}
	}
	if _, ok := AccountFromAccessKeyID("AKIAIOSFODNN7EXAMPLE"); ok {
		t.Errorf("old-format key id must not decode to an account")
	}
}

func TestAccessKeyIDRoundTrip(t *testing.T) {
	for _, acct := range []string{"000000000000", "111111111111", "999999999999", "123456789012"} {
		for i := 0; i < 50; i++ {
			id := Default.AccessKeyID(PrefixLongTermKey, acct)
			if len(id) != 20 || !strings.HasPrefix(id, "AKIA") {
				t.Fatalf("bad id %q", id)
			}
			got, ok := AccountFromAccessKeyID(id)
			if !ok || got != acct {
				t.Fatalf("%s: got %q, want %s", id, got, acct)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	if s := Default.SecretAccessKey(); len(s) != 40 {
		t.Errorf("secret length %d", len(s))
	}
	if u := Default.UniqueID(PrefixUser); len(u) != 21 || !strings.HasPrefix(u, "AIDA") {
		t.Errorf("bad unique id %q", u)
	}
	if Default.UniqueID(PrefixUser) == Default.UniqueID(PrefixUser) {
		t.Errorf("unique ids repeat")
	}
}

func TestRegions(t *testing.T) {
	for _, r := range []string{"us-east-1", "ap-southeast-2", "us-gov-west-1", "eu-central-1", "cn-north-1"} {
		if !IsRegion(r) {
			t.Errorf("IsRegion(%q) = false", r)
		}
	}
	for _, r := range []string{"", "us", "us-east", "US-EAST-1", "us-east-1a", "us_east_1", "u-east-1", "us-east-1 ", "us-east-1:x"} {
		if IsRegion(r) {
			t.Errorf("IsRegion(%q) = true", r)
		}
	}
	for id, want := range map[string]string{
		"us-east-1:12345678-1234-1234-1234-123456789012": "us-east-1",
		"eu-west-1:a:b": "eu-west-1",
		"no-colon":      "no-colon",
		":x":            "",
	} {
		if got := RegionOf(id); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", id, got, want)
		}
	}
}
