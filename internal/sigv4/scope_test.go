package sigv4

import (
	"testing"
	"time"
)

func TestCheckScope(t *testing.T) {
	header := func(mod func(*Auth)) *Auth {
		a := mustParse(t, vectors[0].req()) // header mode, sts, 20261122T120000Z
		if mod != nil {
			mod(a)
		}
		return a
	}
	query := func(mod func(*Auth)) *Auth {
		a := mustParse(t, vectors[3].req()) // query mode, sts, expires 60
		if mod != nil {
			mod(a)
		}
		return a
	}
	T := vectorClock
	cases := []struct {
		name    string
		auth    *Auth
		service string
		now     time.Time
		kind    ErrorKind // 0 = accepted
		msg     string
	}{
		{"header ok", header(nil), "sts", T, 0, ""},
		{"any region", header(func(a *Auth) { a.Region = "mars-north-9" }), "sts", T, 0, ""},
		{"empty region", header(func(a *Auth) { a.Region = "" }), "sts", T, 0, ""},
		{"wrong terminator", header(func(a *Auth) { a.Terminator = "aws4_requests" }), "sts", T,
			KindMismatch, "Credential should be scoped with a valid terminator: 'aws4_request'"},
		{"six-part scope", mustParse(t, headerModeReq(authHeader(tv1Cred+"/x", tv1Signed, tv1Sig))), "sts", T,
			KindMismatch, "Credential should be scoped with a valid terminator: 'aws4_request'"},
		{"wrong service", header(nil), "iam", T,
			KindMismatch, "Credential should be scoped to correct service: 'iam'"},
		{"service case matters", header(func(a *Auth) { a.Service = "STS" }), "sts", T,
			KindMismatch, "Credential should be scoped to correct service: 'sts'"},
		{"date mismatch", header(func(a *Auth) { a.Date = "20261121" }), "sts", T,
			KindMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"},
		{"date not a date", header(func(a *Auth) { a.Date = "" }), "sts", T,
			KindMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"},

		// Header mode: ±15 minutes, boundaries inclusive, sub-second parts of now ignored.
		{"skew +15m", header(nil), "sts", T.Add(15 * time.Minute), 0, ""},
		{"skew +15m.9", header(nil), "sts", T.Add(15*time.Minute + 900*time.Millisecond), 0, ""},
		{"skew -15m", header(nil), "sts", T.Add(-15 * time.Minute), 0, ""},
		{"expired", header(nil), "sts", T.Add(15*time.Minute + time.Second), KindExpired,
			"Signature expired: 20261122T120000Z is now earlier than 20261122T120001Z (20261122T121501Z - 15 min.)"},
		{"expired by hours", header(nil), "sts", time.Date(2026, 11, 22, 19, 30, 8, 0, time.UTC), KindExpired,
			"Signature expired: 20261122T120000Z is now earlier than 20261122T191508Z (20261122T193008Z - 15 min.)"},
		{"not yet current", header(nil), "sts", T.Add(-15*time.Minute - time.Second), KindExpired,
			"Signature not yet current: 20261122T120000Z is still later than 20261122T115959Z (20261122T114459Z + 15 min.)"},
		{"now in another zone", header(nil), "sts", T.In(time.FixedZone("x", 5*3600)).Add(16 * time.Minute), KindExpired,
			"Signature expired: 20261122T120000Z is now earlier than 20261122T120100Z (20261122T121600Z - 15 min.)"},

		// Query mode: valid from X-Amz-Date - 15 min to X-Amz-Date + X-Amz-Expires.
		{"presign ok", query(nil), "sts", T, 0, ""},
		{"presign at expiry", query(nil), "sts", T.Add(60 * time.Second), 0, ""},
		{"presign expired", query(nil), "sts", T.Add(61 * time.Second), KindExpired,
			"Signature expired: 20261122T120000Z is now earlier than 20261122T120001Z (20261122T120101Z - 60 sec.)"},
		{"presign 7 days ok", query(func(a *Auth) { a.Expires = MaxExpires }), "sts", T.Add(MaxExpires), 0, ""},
		{"presign not yet current", query(nil), "sts", T.Add(-16 * time.Minute), KindExpired,
			"Signature not yet current: 20261122T120000Z is still later than 20261122T115900Z (20261122T114400Z + 15 min.)"},
		{"presign slightly in future ok", query(nil), "sts", T.Add(-14 * time.Minute), 0, ""},
		{"presign expires 0", query(func(a *Auth) { a.Expires = 0 }), "sts", T, KindIncomplete, msgExpires},
		{"presign expires > 7 days", query(func(a *Auth) { a.Expires = MaxExpires + time.Second }), "sts", T, KindIncomplete, msgExpires},
		{"presign expires negative", query(func(a *Auth) { a.Expires = -time.Second }), "sts", T, KindIncomplete, msgExpires},
		{"presign wrong service", query(nil), "quicksight", T, KindMismatch,
			"Credential should be scoped to correct service: 'quicksight'"},

		// Order of checks: terminator, service, date, then time.
		{"order: terminator first", header(func(a *Auth) { a.Terminator = "x"; a.Date = "19990101" }), "iam", T.Add(time.Hour),
			KindMismatch, "Credential should be scoped with a valid terminator: 'aws4_request'"},
		{"order: service before date", header(func(a *Auth) { a.Date = "19990101" }), "iam", T.Add(time.Hour),
			KindMismatch, "Credential should be scoped to correct service: 'iam'"},
		{"order: date before skew", header(func(a *Auth) { a.Date = "19990101" }), "sts", T.Add(time.Hour),
			KindMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"},
		{"unknown mode", header(func(a *Auth) { a.Mode = 0 }), "sts", T, KindIncomplete, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.auth.CheckScope(c.service, c.now)
			if c.kind == 0 {
				if err != nil {
					t.Fatalf("CheckScope: %v", err)
				}
				return
			}
			e := wantKind(t, err, c.kind)
			if c.msg != "" && e.Message != c.msg {
				t.Fatalf("message\n%q\nwant\n%q", e.Message, c.msg)
			}
		})
	}
}

func TestErrorStrings(t *testing.T) {
	e := &Error{Kind: KindMismatch, Message: MismatchMessage}
	if e.Error() != "sigv4: mismatch: "+MismatchMessage {
		t.Fatalf("Error() = %q", e.Error())
	}
	if MismatchMessage != "The request signature we calculated does not match the signature you provided. "+
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details." {
		t.Fatal("mismatch message drifted from AWS's text")
	}
	for k, s := range map[ErrorKind]string{KindIncomplete: "incomplete", KindMismatch: "mismatch", KindExpired: "expired", 0: "unknown"} {
		if k.String() != s {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
	if ModeHeader.String() != "header" || ModeQuery.String() != "query" || Mode(0).String() != "unknown" {
		t.Error("Mode.String")
	}
}
