package policy

import "testing"

// IAM does not count whitespace toward policy size quotas (doc "IAM and AWS STS quotas").
func TestSizeWithoutWhitespace(t *testing.T) {
	cases := []struct {
		doc  string
		want int
	}{
		{``, 0},
		{`{}`, 2},
		{"{ \n\t\r }", 2},
		{`{"a b": "c d"}`, len(`{"a b":"c d"}`)},
		{`{"a":"x\" y"}`, len(`{"a":"x\" y"}`)},
		{`{"a":"\\"  ,"b":1}`, len(`{"a":"\\","b":1}`)},
		{`{"é": "é"}`, 9},
		{`"unterminated   `, 16},
		{"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n}", len(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)},
	}
	for _, tc := range cases {
		if got := SizeWithoutWhitespace(tc.doc); got != tc.want {
			t.Errorf("%q = %d, want %d", tc.doc, got, tc.want)
		}
	}
}
