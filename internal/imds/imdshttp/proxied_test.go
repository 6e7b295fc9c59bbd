package imdshttp

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchkey/latchkey/internal/imds"
)

// A token request that carries X-Forwarded-For at all is refused, also when its first value is
// empty and a proxy appended its own line after it.
func TestProxiedTokenRequestWithEmptyForwardedFor(t *testing.T) {
	svc, err := imds.New(imds.Deps{Store: emptyStore{}, Sessions: noSessions{}, AccountID: "123456789012", InstanceProfile: "p", Region: "us-east-1", Keys: oneKey{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(svc, Options{}))
	defer srv.Close()
	for name, raw := range map[string]string{
		"empty then the proxy's": "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nX-Forwarded-For:\r\nX-Forwarded-For: 10.0.0.9\r\nContent-Length: 0\r\n\r\n",
		"empty only":             "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nX-Forwarded-For: \r\nContent-Length: 0\r\n\r\n",
		"direct":                 "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\n\r\n",
	} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := http.StatusForbidden
		if name == "direct" {
			want = http.StatusOK
		}
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, want)
		}
	}
}
