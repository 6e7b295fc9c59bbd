package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Prefixes AWS uses for unique ids and key ids.
const (
	PrefixLongTermKey     = "AKIA"
	PrefixTemporaryKey    = "ASIA"
	PrefixUser            = "AIDA"
	PrefixRole            = "AROA"
	PrefixPolicy          = "ANPA"
	PrefixInstanceProfile = "AIPA"
	PrefixGroup           = "AGPA"
)

// Minter draws randomness from R, so tests can make ids deterministic.
type Minter struct{ R io.Reader }

// Default uses crypto/rand.
var Default = Minter{R: rand.Reader}

func (m Minter) read(b []byte) {
	if _, err := io.ReadFull(m.R, b); err != nil {
		panic(fmt.Sprintf("ids: random source failed: %v", err))
	}
}

// AccessKeyID returns prefix + 16 base32 characters encoding the account the way AWS's current
// key ids do: the first 48 bits are a format flag, the account id shifted left by 7, and 7 random bits.
func (m Minter) AccessKeyID(prefix, account string) string {
	acct, err := strconv.ParseUint(account, 10, 64)
	if err != nil || acct >= 1<<40 {
		panic(fmt.Sprintf("ids: account %q is not a 12-digit id", account))
	}
	var buf [10]byte
	m.read(buf[:])
	z := uint64(1)<<47 | acct<<7 | uint64(buf[0]&0x7f)
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], z)
	copy(buf[0:6], head[2:8])
	return prefix + b32.EncodeToString(buf[:])
}

// AccountFromAccessKeyID recovers the account embedded by AccessKeyID (and by AWS's current keys).
func AccountFromAccessKeyID(id string) (string, bool) {
	if len(id) != 20 {
		return "", false
	}
	raw, err := b32.DecodeString(id[4:])
	if err != nil || len(raw) != 10 || raw[0]&0x80 == 0 {
		return "", false
	}
	var head [8]byte
	copy(head[2:], raw[:6])
	z := binary.BigEndian.Uint64(head[:])
	return fmt.Sprintf("%012d", (z&0x7fffffffff80)>>7), true
}

// SecretAccessKey returns 40 characters of the base64 alphabet, like AWS's secrets.
func (m Minter) SecretAccessKey() string {
	var buf [30]byte
	m.read(buf[:])
	return base64.StdEncoding.EncodeToString(buf[:])
}

// UniqueID returns prefix + 17 base32 characters (21 in all, as AWS's AIDA…/AROA… ids).
func (m Minter) UniqueID(prefix string) string {
	var buf [11]byte
	m.read(buf[:])
	return prefix + b32.EncodeToString(buf[:])[:17]
}

// regionName is what a region name looks like (us-east-1, ap-southeast-2, us-gov-west-1).
var regionName = regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`)

// IsRegion tells whether s has the form of an AWS region name, such as us-east-1,
// ap-southeast-2 or us-gov-west-1.
func IsRegion(s string) bool { return regionName.MatchString(s) }

// RegionOf is the region part of a regional id "<region>:<GUID>" (Cognito identity pool and
// identity ids): what comes before the first ':', all of id when it has none.
func RegionOf(id string) string {
	region, _, _ := strings.Cut(id, ":")
	return region
}
