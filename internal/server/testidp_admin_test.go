package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestMintTokenRequestInput(t *testing.T) {
	const iss = "http://lk/test-idp/gh"
	for name, c := range map[string]struct {
		body    string
		wantAud []string
		wantTTL time.Duration
		wantErr bool
	}{
		"defaults":                {`{"profile":"kubernetes"}`, nil, 0, false},
		"audience string":         {`{"profile":"generic","audience":"a"}`, []string{"a"}, 0, false},
		"audience list":           {`{"profile":"generic","audience":["a","b"]}`, []string{"a", "b"}, 0, false},
		"ttl duration":            {`{"profile":"generic","ttl":"90s"}`, nil, 90 * time.Second, false},
		"ttl seconds":             {`{"profile":"generic","ttl":60}`, nil, time.Minute, false},
		"own iss":                 {`{"profile":"generic","claims":{"iss":"` + iss + `"}}`, nil, 0, false},
		"no profile":              {`{}`, nil, 0, true},
		"empty audience":          {`{"profile":"generic","audience":""}`, nil, 0, true},
		"empty audience list":     {`{"profile":"generic","audience":[]}`, nil, 0, true},
		"empty string in list":    {`{"profile":"generic","audience":["a",""]}`, nil, 0, true},
		"audience object":         {`{"profile":"generic","audience":{"a":1}}`, nil, 0, true},
		"ttl negative":            {`{"profile":"generic","ttl":"-1m"}`, nil, 0, true},
		"ttl zero seconds":        {`{"profile":"generic","ttl":0}`, nil, 0, true},
		"ttl fraction":            {`{"profile":"generic","ttl":1.5}`, nil, 0, true},
		"ttl beyond a day":        {`{"profile":"generic","ttl":86401}`, nil, 0, true},
		"another issuer's iss":    {`{"profile":"generic","claims":{"iss":"http://lk/test-idp/prod"}}`, nil, 0, true},
		"iss not a string at all": {`{"profile":"generic","claims":{"iss":7}}`, nil, 0, true},
	} {
		t.Run(name, func(t *testing.T) {
			var r MintTokenRequest
			if err := json.Unmarshal([]byte(c.body), &r); err != nil {
				t.Fatal(err)
			}
			in, err := r.mintInput("gh", iss)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err == nil && (in.Issuer != "gh" || !reflect.DeepEqual(in.Audience, c.wantAud) || in.TTL != c.wantTTL) {
				t.Fatalf("input %+v", in)
			}
		})
	}
}
