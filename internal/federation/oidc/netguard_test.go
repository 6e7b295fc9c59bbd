package oidc

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestSpecialRangesRefusedByDefault: the first and the last address of every range in the
// table, in every form that reaches it, is refused by the default policy.
func TestSpecialRangesRefusedByDefault(t *testing.T) {
	p := newNetPolicy(nil, false)
	for _, r := range specialRanges {
		for _, a := range []netip.Addr{r.prefix.Addr(), lastAddr(r.prefix)} {
			forms := []netip.Addr{a}
			if a.Is4() {
				b := a.As4()
				forms = append(forms,
					netip.AddrFrom16(a.As16()), // ::ffff:a.b.c.d
					netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 10: 0, 11: 0, 12: b[0], 13: b[1], 14: b[2], 15: b[3]}), // NAT64
				)
			}
			for _, f := range forms {
				if err := p.check(f); err == nil {
					t.Errorf("%s (%s, %s) admitted", f, r.name, r.rfc)
				}
			}
		}
	}
}

func TestAddressPolicy(t *testing.T) {
	allowed := []netip.Prefix{
		netip.MustParsePrefix("10.20.0.0/16"),
		netip.MustParsePrefix("fd12:3456::/32"),
		netip.MustParsePrefix("::ffff:192.168.7.0/120"), // the mapped form of 192.168.7.0/24
	}
	cases := []struct {
		addr                       string
		byDefault, allowHTTP, nets bool // admitted by default, with AllowHTTP, with the allowed networks
	}{
		// Globally routable.
		{addr: "8.8.8.8", byDefault: true, allowHTTP: true, nets: true},
		{addr: "1.1.1.1", byDefault: true, allowHTTP: true, nets: true},
		{addr: "2606:4700:4700::1111", byDefault: true, allowHTTP: true, nets: true},
		{addr: "64:ff9b::808:808", byDefault: true, allowHTTP: true, nets: true}, // NAT64 of 8.8.8.8
		// Range edges: just outside is public.
		{addr: "100.63.255.255", byDefault: true, allowHTTP: true, nets: true},
		{addr: "100.128.0.0", byDefault: true, allowHTTP: true, nets: true},
		{addr: "172.15.255.255", byDefault: true, allowHTTP: true, nets: true},
		{addr: "172.32.0.0", byDefault: true, allowHTTP: true, nets: true},
		{addr: "198.17.255.255", byDefault: true, allowHTTP: true, nets: true},
		{addr: "198.20.0.0", byDefault: true, allowHTTP: true, nets: true},
		// Loopback, in every spelling.
		{addr: "127.0.0.1", allowHTTP: true},
		{addr: "127.255.255.254", allowHTTP: true},
		{addr: "::1", allowHTTP: true},
		{addr: "::ffff:127.0.0.1", allowHTTP: true},
		{addr: "64:ff9b::7f00:1", allowHTTP: true}, // NAT64 of 127.0.0.1
		{addr: "2002:7f00:1::1"},                   // 6to4 of 127.0.0.1
		{addr: "::127.0.0.1"},                      // IPv4-compatible
		// Cloud metadata services.
		{addr: "169.254.169.254"},
		{addr: "::ffff:169.254.169.254"},
		{addr: "64:ff9b::a9fe:a9fe"},
		{addr: "fd00:ec2::254"},
		// Private, shared, link local, unspecified, multicast, broadcast, documentation.
		{addr: "10.0.0.1"},
		{addr: "10.20.30.40", nets: true},
		{addr: "::ffff:10.20.30.40", nets: true},
		{addr: "64:ff9b::a14:1e28", nets: true}, // NAT64 of 10.20.30.40
		{addr: "172.16.0.1"},
		{addr: "192.168.1.1"},
		{addr: "192.168.7.9", nets: true},
		{addr: "100.64.0.1"},
		{addr: "fc00::1"},
		{addr: "fd12:3456::1", nets: true},
		{addr: "fe80::1"},
		{addr: "fe80::1%eth0"},
		{addr: "0.0.0.0"},
		{addr: "0.1.2.3"},
		{addr: "::"},
		{addr: "224.0.0.1"},
		{addr: "ff02::1"},
		{addr: "255.255.255.255"},
		{addr: "192.0.2.10"},
		{addr: "2001:db8::1"},
		{addr: "3fff::1"},
		{addr: "198.18.0.1"},
		{addr: "2001:2::1"},
		{addr: "2001:0:4136:e378:8000:63bf:3fff:fdd2"}, // Teredo
		{addr: "192.0.0.9"},
		{addr: "240.0.0.1"},
		{addr: "4000::1"}, // outside 2000::/3
		{addr: "64:ff9b:1::a00:1"},
	}
	def, http, nets := newNetPolicy(nil, false), newNetPolicy(nil, true), newNetPolicy(allowed, false)
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		for _, pc := range []struct {
			name string
			p    netPolicy
			want bool
		}{{"default", def, c.byDefault}, {"AllowHTTP", http, c.allowHTTP}, {"allowed networks", nets, c.nets}} {
			err := pc.p.check(a)
			if (err == nil) != pc.want {
				t.Errorf("%s under %s: admitted %v, want %v (%v)", c.addr, pc.name, err == nil, pc.want, err)
			}
		}
	}
}

// TestAllowedNetworksNeverAdmitNonUnicast: an operator allowing everything still cannot make
// the verifier connect to an unspecified, "this network", multicast or broadcast address (on
// Linux a connection to 0.0.0.0 reaches this very host).
func TestAllowedNetworksNeverAdmitNonUnicast(t *testing.T) {
	p := newNetPolicy([]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}, true)
	for _, s := range []string{"0.0.0.0", "0.0.0.7", "::", "::ffff:0.0.0.0", "224.0.0.251", "ff05::2", "255.255.255.255"} {
		if err := p.check(netip.MustParseAddr(s)); err == nil {
			t.Errorf("%s admitted", s)
		}
	}
	if err := p.check(netip.MustParseAddr("10.0.0.1")); err != nil {
		t.Fatalf("0.0.0.0/0 does not admit 10.0.0.1: %v", err)
	}
}

// fakeResolver answers from a table; answers can change between lookups, like a rebinding
// DNS server's.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr // host -> answer of the 1st, 2nd, ... lookup (the last repeats)
	calls   map[string]int
	nets    []string
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{answers: map[string][][]netip.Addr{}, calls: map[string]int{}}
}

func (r *fakeResolver) set(host string, answers ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list [][]netip.Addr
	for _, a := range answers {
		var one []netip.Addr
		for _, s := range strings.Split(a, ",") {
			one = append(one, netip.MustParseAddr(s))
		}
		list = append(list, one)
	}
	r.answers[host] = list
}

func (r *fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nets = append(r.nets, network)
	list, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := min(r.calls[host], len(list)-1)
	r.calls[host]++
	return list[i], nil
}

// dialRecorder records what the guarded dialer asked to connect to, and connects every
// admitted address to one local listener, standing in for the internet.
type dialRecorder struct {
	mu     sync.Mutex
	addrs  []string
	target string // host:port of the local stand-in; "" refuses every dial
}

func (d *dialRecorder) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	target := d.target
	d.mu.Unlock()
	if target == "" {
		return nil, errors.New("no stand-in listener")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, target)
}

func (d *dialRecorder) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func TestGuardedDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	cases := []struct {
		name    string
		network string
		addr    string
		answers []string // the resolver's successive answers for idp.example.com
		dials   int      // how many times DialContext is called
		want    []string // what the inner dialer is asked for, over all calls
		lookup  string   // the resolver network asked for
	}{
		{name: "public name", network: "tcp", addr: "idp.example.com:443", answers: []string{"93.184.215.14"}, dials: 1, want: []string{"93.184.215.14:443"}, lookup: "ip"},
		{name: "public name, tcp4", network: "tcp4", addr: "idp.example.com:443", answers: []string{"93.184.215.14"}, dials: 1, want: []string{"93.184.215.14:443"}, lookup: "ip4"},
		{name: "public name, IPv6 and mapped answers", network: "tcp", addr: "idp.example.com:443", answers: []string{"2606:2800:21f:cb07:6820:80da:af6b:8b2c,::ffff:93.184.215.14"}, dials: 1,
			want: []string{"[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443"}, lookup: "ip"},
		{name: "public name resolving to a private address", network: "tcp", addr: "idp.example.com:443", answers: []string{"10.0.0.5"}, dials: 1},
		{name: "public name resolving to the metadata service", network: "tcp", addr: "idp.example.com:80", answers: []string{"169.254.169.254"}, dials: 1},
		{name: "public and private answers together", network: "tcp", addr: "idp.example.com:443", answers: []string{"93.184.215.14,127.0.0.1"}, dials: 1},
		{name: "rebinding: public, then loopback", network: "tcp", addr: "idp.example.com:443", answers: []string{"93.184.215.14", "127.0.0.1"}, dials: 2, want: []string{"93.184.215.14:443"}},
		{name: "IP literal, private", network: "tcp", addr: "192.168.0.1:443", dials: 1},
		{name: "IP literal, mapped loopback", network: "tcp", addr: "[::ffff:127.0.0.1]:443", dials: 1},
		{name: "IP literal, public, no lookup", network: "tcp", addr: "93.184.215.14:443", dials: 1, want: []string{"93.184.215.14:443"}},
		{name: "unknown name", network: "tcp", addr: "nowhere.example.com:443", dials: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := newFakeResolver()
			if c.answers != nil {
				res.set("idp.example.com", c.answers...)
			}
			rec := &dialRecorder{target: ln.Addr().String()}
			g := newGuardedDialer(newNetPolicy(nil, false), res, rec.dial)
			for range c.dials {
				conn, err := g.DialContext(context.Background(), c.network, c.addr)
				if err == nil {
					conn.Close()
				}
			}
			if got := rec.dialed(); strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("dialed %q, want %q", got, c.want)
			}
			if c.lookup != "" && (len(res.nets) == 0 || res.nets[0] != c.lookup) {
				t.Fatalf("looked up %q, want %q", res.nets, c.lookup)
			}
		})
	}
}

// TestNamesResolvingToPrivateAddresses drives the whole verifier with a fake resolver: an
// issuer, a jwks_uri or a redirect whose public-looking name resolves to an internal address
// is refused before any connection, while the same names resolving to public addresses work.
func TestNamesResolvingToPrivateAddresses(t *testing.T) {
	testKeys(t)
	const (
		issuer  = "https://idp.example.com"
		keysURL = "https://keys.example.com/keys"
		public  = "93.184.215.14"
	)
	ca := newCA(t, "IdP CA")
	cases := []struct {
		name     string
		idp      string // what idp.example.com resolves to
		keys     string // what keys.example.com resolves to
		redirect string // where the JWKS request is redirected, if anywhere
		ok       bool
		dialed   []string
	}{
		{name: "all public", idp: public, keys: public, ok: true, dialed: []string{public + ":443", public + ":443"}},
		{name: "issuer resolves to loopback", idp: "127.0.0.1", keys: public},
		{name: "issuer resolves to the metadata service over IPv6", idp: "fd00:ec2::254", keys: public},
		{name: "jwks_uri host resolves to a private address", idp: public, keys: "192.168.10.10", dialed: []string{public + ":443"}},
		{name: "jwks_uri host resolves to CGNAT", idp: public, keys: "100.100.100.200", dialed: []string{public + ":443"}},
		{name: "redirect to a name resolving to link local", idp: public, keys: public, redirect: "https://metadata.example.com/latest", dialed: []string{public + ":443", public + ":443"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &testIdP{}
			p.setKeys(t, jwk(rsaKey, "rsa1", "RS256"))
			iss, ku := issuer, keysURL
			p.discoIssuer, p.jwksURI, p.jwksRedirect = &iss, &ku, c.redirect
			cert := ca.leafFor(t, "idp.example.com")
			keysCert := ca.leafFor(t, "keys.example.com")
			metaCert := ca.leafFor(t, "metadata.example.com")
			srv := newSNIServer(t, p, map[string]tls.Certificate{"idp.example.com": cert, "keys.example.com": keysCert, "metadata.example.com": metaCert})
			res := newFakeResolver()
			res.set("idp.example.com", c.idp)
			res.set("keys.example.com", c.keys)
			res.set("metadata.example.com", "169.254.169.254")
			rec := &dialRecorder{target: srv}
			v := NewVerifier(Options{RootCAs: ca.pool(), Now: newClock().Now, Resolver: res, Dial: rec.dial})
			prov := Provider{URL: issuer, ClientIDs: []string{testAud}}
			_, err := v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(issuer)), lookupOne(prov))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantErr(t, err, Communication, MsgCommunication)
			}
			if got := rec.dialed(); strings.Join(got, " ") != strings.Join(c.dialed, " ") {
				t.Fatalf("dialed %q, want %q", got, c.dialed)
			}
		})
	}
}

// TestNoProxy: IdP fetches never go through a proxy from the environment (HTTPS_PROXY and
// friends): a proxy resolves and connects by itself, where the address check cannot see.
func TestNoProxy(t *testing.T) {
	v := NewVerifier(Options{})
	for name, tr := range map[string]*http.Transport{
		"base":       v.baseTransport,
		"plain":      v.plainClient.Transport.(*http.Transport),
		"thumbprint": v.thumbprintTransport("idp.example.com", []string{strings.Repeat("ab", 20)}),
	} {
		if tr.Proxy != nil {
			t.Errorf("%s transport has a proxy function", name)
		}
		if tr.DialContext == nil || tr.DialTLSContext != nil {
			t.Errorf("%s transport does not dial through the guard", name)
		}
	}
}

// newSNIServer serves p over TLS with a certificate per server name, and returns its address.
func newSNIServer(t *testing.T, p *testIdP, certs map[string]tls.Certificate) string {
	t.Helper()
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ErrorLog = quietLog
	p.srv.TLS = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, ok := certs[hi.ServerName]
		if !ok {
			return nil, errors.New("unknown server name")
		}
		return &c, nil
	}}
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p.srv.Listener.Addr().String()
}

// TestDefaultDialerChecksTheSocketAddress: the dialer behind the guard checks the address the
// socket is about to connect to once more, so even an address that reached it unchecked is
// refused before the connection.
func TestDefaultDialerChecksTheSocketAddress(t *testing.T) {
	p := newTLSIdP(t, "")
	addr := p.srv.Listener.Addr().String()
	for _, c := range []struct {
		name    string
		allowed []netip.Prefix
		ok      bool
	}{{name: "default policy"}, {name: "loopback allowed", allowed: localNets, ok: true}} {
		t.Run(c.name, func(t *testing.T) {
			before := p.accepted.Load()
			g := newGuardedDialer(newNetPolicy(c.allowed, false), nil, nil)
			conn, err := g.dial(context.Background(), "tcp", addr)
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				conn.Close()
				return
			}
			var re *refusedAddrError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want the policy's refusal", err)
			}
			if p.accepted.Load() != before {
				t.Fatal("the listener accepted a connection")
			}
		})
	}
}

// BenchmarkAddressCheck: the check runs once per resolved address of every new connection;
// a public address walks the whole table.
func BenchmarkAddressCheck(b *testing.B) {
	p := newNetPolicy([]netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}, false)
	addrs := []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("2606:4700:4700::1111"), netip.MustParseAddr("64:ff9b::808:808")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if p.check(addrs[i%len(addrs)]) != nil {
			b.Fatal("refused")
		}
	}
}
