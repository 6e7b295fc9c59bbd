package httpwire

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		errorType  string
		wantStatus int
		wantType   []string
	}{
		{"success", http.StatusOK, "", http.StatusOK, nil},
		{"error carries its type", http.StatusBadRequest, "InvalidParameterException", http.StatusBadRequest, []string{"InvalidParameterException"}},
		{"unset status is a server fault", 0, "InternalErrorException", http.StatusInternalServerError, []string{"InternalErrorException"}},
		{"status above 999 is a server fault", 1000, "", http.StatusInternalServerError, nil},
		{"lowest valid status kept", 100, "", 100, nil},
		{"highest valid status kept", 999, "", 999, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, "application/x-test", c.status, c.errorType, []byte(`{"a":1}`), "rid-1")
			h := rec.Result().Header
			if rec.Code != c.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, c.wantStatus)
			}
			if got := h.Get("Content-Type"); got != "application/x-test" {
				t.Errorf("Content-Type %q", got)
			}
			if got := h.Get("Content-Length"); got != "7" {
				t.Errorf("Content-Length %q", got)
			}
			if got := h.Get("x-amzn-RequestId"); got != "rid-1" {
				t.Errorf("x-amzn-RequestId %q", got)
			}
			if got := h.Values("x-amzn-ErrorType"); len(got) != len(c.wantType) || (len(got) == 1 && got[0] != c.wantType[0]) {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, c.wantType)
			}
			if rec.Body.String() != `{"a":1}` {
				t.Errorf("body %q", rec.Body.String())
			}
		})
	}
}
