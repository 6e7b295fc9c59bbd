package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// specialRange is one block of the IANA IPv4 and IPv6 Special-Purpose Address Registries (or
// another block no identity provider can legitimately live in), with the RFC that defines it.
type specialRange struct {
	prefix netip.Prefix
	name   string
	rfc    string
}

func sr(cidr, name, rfc string) specialRange {
	return specialRange{prefix: netip.MustParsePrefix(cidr), name: name, rfc: rfc}
}

// specialRanges are refused unless an allowed network covers them. Every entry of the IANA
// special-purpose registries is here, including the few the registries mark globally
// reachable (anycast services such as AS112, AMT, PCP and TURN in 192.0.0.0/24 and 2001::/23):
// no identity provider is served from them, so refusing them costs nothing. IPv6 outside
// 2000::/3 is refused separately (it is not global unicast), and two embedding forms are
// judged by the IPv4 address they carry: IPv4-mapped ::ffff:0:0/96 (a dual-stack socket
// connects to the IPv4 address) and the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052, the
// form DNS64 gives public IPv4 hosts on IPv6-only networks).
var specialRanges = []specialRange{
	// IPv4.
	sr("0.0.0.0/8", "this host on this network", "RFC 791, RFC 1122 §3.2.1.3"),
	sr("10.0.0.0/8", "private use", "RFC 1918"),
	sr("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
	sr("127.0.0.0/8", "loopback", "RFC 1122 §3.2.1.3"),
	sr("169.254.0.0/16", "link local (including the instance metadata service 169.254.169.254)", "RFC 3927"),
	sr("172.16.0.0/12", "private use", "RFC 1918"),
	sr("192.0.0.0/24", "IETF protocol assignments (DS-Lite, NAT64 discovery, PCP and TURN anycast)", "RFC 6890"),
	sr("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
	sr("192.31.196.0/24", "AS112-v4", "RFC 7535"),
	sr("192.52.193.0/24", "AMT", "RFC 7450"),
	sr("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
	sr("192.168.0.0/16", "private use", "RFC 1918"),
	sr("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"),
	sr("198.18.0.0/15", "benchmarking", "RFC 2544"),
	sr("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
	sr("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
	sr("224.0.0.0/4", "multicast", "RFC 5771"),
	sr("240.0.0.0/4", "reserved for future use", "RFC 1112 §4"),
	sr("255.255.255.255/32", "limited broadcast", "RFC 919 §7, RFC 8190"),
	// IPv6.
	sr("::/128", "unspecified", "RFC 4291 §2.5.2"),
	sr("::1/128", "loopback", "RFC 4291 §2.5.3"),
	sr("::/96", "deprecated IPv4-compatible", "RFC 4291 §2.5.5.1"),
	sr("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"),
	sr("100::/64", "discard only", "RFC 6666"),
	sr("2001::/23", "IETF protocol assignments (Teredo, benchmarking, ORCHID, AS112, AMT, DETs)", "RFC 2928, RFC 6890"),
	sr("2001:db8::/32", "documentation", "RFC 3849"),
	sr("2002::/16", "6to4 (the embedded IPv4 host is reached through a relay)", "RFC 3056, RFC 7526"),
	sr("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"),
	sr("3fff::/20", "documentation", "RFC 9637"),
	sr("5f00::/16", "segment routing SIDs", "RFC 9602"),
	sr("fc00::/7", "unique local (including the instance metadata service fd00:ec2::254)", "RFC 4193"),
	sr("fe80::/10", "link local", "RFC 4291 §2.5.6"),
	sr("fec0::/10", "deprecated site local", "RFC 3879"),
	sr("ff00::/8", "multicast", "RFC 4291 §2.7"),
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3") // RFC 4291 §2.4; IANA IPv6 Address Space
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")
	loopbackNets   = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
)

// netPolicy decides which addresses IdP fetches may connect to: globally routable ones, and
// those of the allowed networks.
type netPolicy struct {
	allowed []netip.Prefix
}

func newNetPolicy(allowed []netip.Prefix, allowLoopback bool) netPolicy {
	var p netPolicy
	for _, n := range allowed {
		// An IPv4 network written in its IPv4-mapped IPv6 form means the IPv4 network:
		// addresses are unmapped before they are compared.
		if n.Addr().Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(n.Addr().Unmap(), n.Bits()-96)
		}
		p.allowed = append(p.allowed, n.Masked())
	}
	if allowLoopback {
		p.allowed = append(p.allowed, loopbackNets...)
	}
	return p
}

// refusedAddrError says why an address may not be reached. It only ever reaches logs.
type refusedAddrError struct {
	addr   netip.Addr
	reason string
}

func (e *refusedAddrError) Error() string {
	return fmt.Sprintf("address %s is not allowed for identity provider fetches: %s (add its network to LATCHKEY_OIDC_ALLOWED_NETWORKS to allow it)", e.addr, e.reason)
}

// check returns nil when a may be connected to.
func (p netPolicy) check(a netip.Addr) error {
	orig := a
	a = a.WithZone("").Unmap()
	// Never a TCP peer; and on Linux a connection to 0.0.0.0 or :: reaches this host.
	if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) ||
		(a.Is4() && a.As4()[0] == 0) {
		return &refusedAddrError{orig, "not a unicast destination"}
	}
	for _, n := range p.allowed {
		if n.Contains(a) {
			return nil
		}
	}
	if nat64WellKnown.Contains(a) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if err := p.check(v4); err != nil {
			return &refusedAddrError{orig, "NAT64 (RFC 6052) form of " + v4.String() + ", " + err.(*refusedAddrError).reason}
		}
		return nil
	}
	if r := classify(a); r != nil {
		return &refusedAddrError{orig, r.name + ", " + r.prefix.String() + " (" + r.rfc + ")"}
	}
	return nil
}

// classify returns the special range a (unmapped, without zone) belongs to, or nil when a is
// globally routable.
func classify(a netip.Addr) *specialRange {
	for i := range specialRanges {
		if specialRanges[i].prefix.Contains(a) {
			return &specialRanges[i]
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return &specialRange{prefix: globalUnicast6, name: "not IPv6 global unicast (outside 2000::/3)", rfc: "RFC 4291 §2.4"}
	}
	return nil
}

// Resolver resolves host names; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// guardedDialer resolves a host itself, checks every address against the policy and dials
// only the checked IP literals, so what is checked is what is connected to: a DNS answer that
// changes between a check and a connection (rebinding) cannot slip a private address through.
type guardedDialer struct {
	policy   netPolicy
	resolver Resolver
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

func newGuardedDialer(policy netPolicy, resolver Resolver, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *guardedDialer {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	if dial == nil {
		d := &net.Dialer{
			Timeout:   30 * time.Second, // the fetch's own deadline is shorter and wins
			KeepAlive: 30 * time.Second,
			// A second look at the very address the socket connects to: defence in depth
			// should any path ever hand this dialer a name.
			Control: func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return fmt.Errorf("connecting to %q: not an IP address and port", address)
				}
				return policy.check(ap.Addr())
			},
		}
		dial = d.DialContext
	}
	return &guardedDialer{policy: policy, resolver: resolver, dial: dial}
}

func (g *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lookupNet := "ip"
		switch network {
		case "tcp4":
			lookupNet = "ip4"
		case "tcp6":
			lookupNet = "ip6"
		}
		addrs, err = g.resolver.LookupNetIP(ctx, lookupNet, host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%s has no address", host)
		}
	}
	// One refused address refuses the name: a public name that also resolves to a private
	// address is what a rebinding attack looks like.
	for _, a := range addrs {
		if err := g.policy.check(a); err != nil {
			if host != a.String() {
				return nil, fmt.Errorf("%s resolves to %w", host, err)
			}
			return nil, err
		}
	}
	var errs []error
	for _, a := range addrs {
		conn, err := g.dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}
