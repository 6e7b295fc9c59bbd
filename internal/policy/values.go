package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Typed parsing of condition values. Every parser is strict: a value it does not understand is
// reported as unparsable, and the evaluator turns that into "unknown", never into a match.

// decimal is an exact decimal number. Numeric conditions compare digit strings rather than
// float64, so 9007199254740993 and 9007199254740992 stay different.
type decimal struct {
	neg  bool
	intp string // no leading zeros
	frac string // no trailing zeros
}

func parseDecimal(s string) (decimal, bool) {
	var d decimal
	if s == "" {
		return d, false
	}
	switch s[0] {
	case '-':
		d.neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intp, frac, hasDot := strings.Cut(s, ".")
	if intp == "" || (hasDot && frac == "") {
		return d, false
	}
	for i := 0; i < len(intp); i++ {
		if !isDigit(intp[i]) {
			return d, false
		}
	}
	for i := 0; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return d, false
		}
	}
	d.intp = strings.TrimLeft(intp, "0")
	d.frac = strings.TrimRight(frac, "0")
	if d.intp == "" && d.frac == "" {
		d.neg = false
	}
	return d, true
}

func cmpDecimal(a, b decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := cmpMagnitude(a, b)
	if a.neg {
		return -c
	}
	return c
}

func cmpMagnitude(a, b decimal) int {
	if len(a.intp) != len(b.intp) {
		if len(a.intp) < len(b.intp) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.intp, b.intp); c != 0 {
		return c
	}
	n := max(len(a.frac), len(b.frac))
	for i := 0; i < n; i++ {
		var x, y byte = '0', '0'
		if i < len(a.frac) {
			x = a.frac[i]
		}
		if i < len(b.frac) {
			y = b.frac[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// instant is seconds since the Unix epoch plus nanoseconds; int64 seconds hold every epoch value
// IAM accepts (up to 2^63-1), which time.Time cannot compare without overflow.
type instant struct {
	sec  int64
	nsec int32
}

func cmpInstant(a, b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// parseDate accepts what IAM's legacy parser accepts (doc "Condition operators": W3C ISO 8601
// dates, or epoch seconds): a value without 'T' and without '-' is epoch seconds in
// [0, 2^63-1]; anything else is YYYY[-MM[-DD]][Thh[:mm[:ss[.fraction]]][Z|±hh[:mm]]], with the
// year in [-292275054, 292278993] (the range of Java's millisecond clock, which the bounds observed
// on AWS match). A time without zone is UTC. Which lenient forms AWS still accepts beyond those
// (one-digit hours, "2016T") is unverified; they are accepted because rejecting them would refuse
// documents AWS stores.
func parseDate(s string) (instant, bool) {
	if s == "" {
		return instant{}, false
	}
	if !strings.ContainsAny(s, "tT-") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || s[0] == '+' {
			return instant{}, false
		}
		return instant{sec: n}, true
	}
	datePart, timePart, _ := cutAny(s, "tT")
	neg := false
	if strings.HasPrefix(datePart, "-") {
		neg = true
		datePart = datePart[1:]
	}
	fields := strings.Split(datePart, "-")
	if len(fields) > 3 {
		return instant{}, false
	}
	year, ok := atoiRange(fields[0], 1, 9, 0, 292278993)
	if !ok {
		return instant{}, false
	}
	if neg {
		year = -year
		if year < -292275054 {
			return instant{}, false
		}
	}
	month, day := 1, 1
	if len(fields) > 1 {
		if month, ok = atoiRange(fields[1], 1, 2, 1, 12); !ok {
			return instant{}, false
		}
	}
	if len(fields) > 2 {
		if day, ok = atoiRange(fields[2], 1, 2, 1, 31); !ok {
			return instant{}, false
		}
	}
	hour, minute, second, nsec, offset := 0, 0, 0, 0, 0
	if timePart != "" {
		clock, zone := splitZone(timePart)
		if zone != "" {
			if offset, ok = parseZone(zone); !ok {
				return instant{}, false
			}
		}
		comps := strings.Split(clock, ":")
		if len(comps) > 3 || clock == "" {
			return instant{}, false
		}
		if hour, ok = atoiRange(comps[0], 1, 2, 0, 23); !ok {
			return instant{}, false
		}
		if len(comps) > 1 {
			if minute, ok = atoiRange(comps[1], 1, 2, 0, 59); !ok {
				return instant{}, false
			}
		}
		if len(comps) > 2 {
			sec, frac, hasFrac := strings.Cut(comps[2], ".")
			if second, ok = atoiRange(sec, 1, 2, 0, 59); !ok {
				return instant{}, false
			}
			if hasFrac {
				if frac == "" || len(frac) > 9 {
					return instant{}, false
				}
				f, ok := atoiRange(frac, 1, 9, 0, 999999999)
				if !ok {
					return instant{}, false
				}
				for k := len(frac); k < 9; k++ {
					f *= 10
				}
				nsec = f
			}
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC)
	return instant{sec: t.Unix() - int64(offset), nsec: int32(t.Nanosecond())}, true
}

func cutAny(s, chars string) (before, after string, found bool) {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// splitZone separates a trailing Z or ±hh[:mm] from a clock value.
func splitZone(s string) (clock, zone string) {
	if n := len(s); n > 0 && (s[n-1] == 'Z' || s[n-1] == 'z') {
		return s[:n-1], "Z"
	}
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func parseZone(z string) (int, bool) {
	if z == "Z" {
		return 0, true
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	hh, mm, hasMin := strings.Cut(z[1:], ":")
	h, ok := atoiRange(hh, 2, 2, 0, 23)
	if !ok {
		return 0, false
	}
	m := 0
	if hasMin {
		if m, ok = atoiRange(mm, 2, 2, 0, 59); !ok {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60), true
}

// atoiRange parses an unsigned decimal of minLen..maxLen digits within [lo, hi].
func atoiRange(s string, minLen, maxLen, lo, hi int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// parseBool compares case-insensitively (doc examples use "true"/"false"; whether AWS folds case
// is unverified, and folding cannot widen a grant because both sides are parsed the same way).
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseBinary decodes base64; context values for binary keys are base64 too, so both sides are
// compared as bytes.
func parseBinary(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	return nil, false
}

// parsePrefix accepts a CIDR or a bare address (/32 or /128). IPv4-mapped IPv6 is folded to IPv4
// so ::ffff:10.0.0.1 cannot slip past a 10.0.0.0/8 NotIpAddress.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr()
		if a.Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(a.Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, ok := parseAddr(s)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
