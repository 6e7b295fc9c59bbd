package imds

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/keys"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// EC2 is the service principal a role's trust policy names to let instances use it.
const EC2 = "ec2.amazonaws.com"

// MaxTokenTTL is the longest an IMDSv2 token lives (EC2 User Guide, "Use the Instance Metadata
// Service to access instance metadata": 1 second to 6 hours).
const MaxTokenTTL = 21600

// refreshBefore is how long before expiry EC2 makes new credentials available (EC2 User Guide,
// "Retrieve security credentials from instance metadata": "at least five minutes before the
// expiration of the old credentials").
const refreshBefore = 5 * time.Minute

// Store is the part of the store the metadata service reads.
type Store interface {
	GetInstanceProfile(ctx context.Context, accountID, name string) (store.InstanceProfile, error)
	GetRoleByID(ctx context.Context, roleID string) (store.Role, error)
}

// Sessions mints the role sessions.
type Sessions interface {
	AssumeRole(ctx context.Context, r session.Request) (session.RoleSession, error)
}

// Deps are what a Service is built from.
type Deps struct {
	Store    Store
	Sessions Sessions
	// AccountID and InstanceProfile name the instance profile served; Region is the instance's.
	AccountID, InstanceProfile, Region string
	// Keys hold the HMAC keys of metadata tokens (a key ring in the store, so a token issued by one
	// node is accepted by every node behind the same listener address).
	Keys TokenKeys
	Now  func() time.Time
}

// TokenKeys is the key ring metadata tokens are sealed with (keys.Ring).
type TokenKeys interface {
	Signer(ctx context.Context) (keys.Key, error)
	Lookup(ctx context.Context, id string) (keys.Key, bool, error)
}

// PurposeTokens names the key ring of metadata tokens.
const PurposeTokens = "imds-token"

// Errors of the metadata service, which imdshttp answers with IMDS's statuses.
var (
	// ErrBadTTL: the token request has no TTL or one outside 1..MaxTokenTTL (400).
	ErrBadTTL = errors.New("imds: X-aws-ec2-metadata-token-ttl-seconds must be an integer from 1 to 21600")
	// ErrBadToken: the token is malformed, forged or expired (401).
	ErrBadToken = errors.New("imds: the metadata token is not valid")
	// ErrNotFound: no such document, e.g. the profile has no role or names another one (404).
	ErrNotFound = errors.New("imds: not found")
)

// Service answers the metadata documents of one instance. It is built by New and not changed
// afterwards, except for its credential cache.
type Service struct {
	d          Deps
	instanceID string
	started    time.Time

	mu     sync.Mutex
	cached *cachedSession
}

type cachedSession struct {
	roleID, trust string
	creds         Credentials
}

// New builds a Service.
func New(d Deps) (*Service, error) {
	if d.Keys == nil {
		return nil, errors.New("imds: no token keys")
	}
	// The instance id is derived from what the instance is, so every node and every restart
	// answers the same one: i- and 17 hexadecimal digits, as EC2's ids are.
	sum := sha256.Sum256([]byte(d.AccountID + "/" + d.InstanceProfile))
	s := &Service{d: d, instanceID: "i-" + hex.EncodeToString(sum[:])[:17]}
	s.started = s.now()
	return s, nil
}

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

// InstanceID is the instance's id; Region its region.
func (s *Service) InstanceID() string { return s.instanceID }
func (s *Service) Region() string     { return s.d.Region }

// Token layout: the sealing key's id, ".", then base64url without padding of 8 bytes of expiry
// (Unix seconds, big-endian), 16 random bytes and the HMAC-SHA256 of both and the key id.
const (
	tokenBody = 8 + 16
	tokenLen  = tokenBody + sha256.Size
)

// IssueToken answers PUT /latest/api/token: ttl is the X-aws-ec2-metadata-token-ttl-seconds
// header as sent.
func (s *Service) IssueToken(ctx context.Context, ttl string) (token string, seconds int, err error) {
	n, err := strconv.Atoi(strings.TrimSpace(ttl))
	if err != nil || n < 1 || n > MaxTokenTTL {
		return "", 0, ErrBadTTL
	}
	k, err := s.d.Keys.Signer(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("imds: token key: %w", err)
	}
	raw := make([]byte, tokenBody, tokenLen)
	binary.BigEndian.PutUint64(raw, uint64(s.now().Add(time.Duration(n)*time.Second).Unix()))
	if _, err := io.ReadFull(rand.Reader, raw[8:tokenBody]); err != nil {
		return "", 0, fmt.Errorf("imds: token nonce: %w", err)
	}
	raw = append(raw, mac(k, raw)...)
	return k.ID + "." + base64.RawURLEncoding.EncodeToString(raw), n, nil
}

func mac(k keys.Key, body []byte) []byte {
	m := hmac.New(sha256.New, k.Material)
	m.Write([]byte("latchkey imds token v1\x00" + k.ID + "\x00"))
	m.Write(body)
	return m.Sum(nil)
}

// CheckToken accepts a token this service issued that has not expired; the MAC is compared in
// constant time.
func (s *Service) CheckToken(ctx context.Context, token string) error {
	kid, body, ok := strings.Cut(token, ".")
	if !ok {
		return ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) != tokenLen {
		return ErrBadToken
	}
	k, found, err := s.d.Keys.Lookup(ctx, kid)
	if err != nil {
		return fmt.Errorf("imds: token key: %w", err)
	}
	if !found || !hmac.Equal(raw[tokenBody:], mac(k, raw[:tokenBody])) {
		return ErrBadToken
	}
	exp := int64(binary.BigEndian.Uint64(raw[:8]))
	if s.now().Unix() >= exp {
		return ErrBadToken
	}
	return nil
}

// profileRole reads the instance profile and its role now.
func (s *Service) profileRole(ctx context.Context) (store.InstanceProfile, store.Role, error) {
	p, err := s.d.Store.GetInstanceProfile(ctx, s.d.AccountID, s.d.InstanceProfile)
	if err != nil {
		return p, store.Role{}, storeErr(err)
	}
	if p.RoleID == "" {
		return p, store.Role{}, ErrNotFound
	}
	r, err := s.d.Store.GetRoleByID(ctx, p.RoleID)
	if err != nil {
		return p, store.Role{}, storeErr(err)
	}
	return p, r, nil
}

func storeErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, store.ErrUnavailable):
		return awserr.UnavailableError(err)
	}
	return awserr.InternalError(err)
}

// RoleName answers iam/security-credentials/: the name of the profile's role.
func (s *Service) RoleName(ctx context.Context) (string, error) {
	_, r, err := s.profileRole(ctx)
	return r.RoleName, err
}

// Info is the iam/info document.
type Info struct {
	LastUpdated        time.Time
	InstanceProfileArn string
	InstanceProfileID  string
}

// Info answers iam/info. Like EC2, it is there only while the profile has a role.
func (s *Service) Info(ctx context.Context) (Info, error) {
	p, _, err := s.profileRole(ctx)
	if err != nil {
		return Info{}, err
	}
	return Info{
		LastUpdated:        s.now(),
		InstanceProfileArn: "arn:aws:iam::" + p.AccountID + ":instance-profile" + p.Path + p.InstanceProfileName,
		InstanceProfileID:  p.InstanceProfileID,
	}, nil
}

// Credentials are a role session as iam/security-credentials/ROLE shows it.
type Credentials struct {
	session.Credentials
	LastUpdated time.Time
	RoleARN     string
	SessionARN  string
	// Minted is true when this request minted the session, false when it came from the cache.
	Minted bool
}

// Credentials answers iam/security-credentials/ROLE. A role name other than the profile's, as
// security-credentials/ spells it, is ErrNotFound: metadata paths match exactly. A refusal of
// the session is the session's own error, with its explanation.
func (s *Service) Credentials(ctx context.Context, roleName string) (Credentials, error) {
	_, r, err := s.profileRole(ctx)
	if err != nil {
		return Credentials{}, err
	}
	if roleName != r.RoleName {
		return Credentials{}, ErrNotFound
	}
	now := s.now()
	s.mu.Lock()
	c := s.cached
	s.mu.Unlock()
	if c != nil && c.roleID == r.RoleID && c.trust == r.AssumeRolePolicyDocument && now.Before(c.creds.Expiration.Add(-refreshBefore)) {
		out := c.creds
		out.Minted = false
		return out, nil
	}
	rs, err := s.d.Sessions.AssumeRole(ctx, session.Request{
		Action: "sts:AssumeRole", Federated: session.ServiceIdentity(EC2), Role: r,
		// EC2 names the session after the instance.
		SessionName: s.instanceID,
		Condition:   map[string][]string{"aws:SourceAccount": {s.d.AccountID}},
	})
	if err != nil {
		return Credentials{}, err
	}
	out := Credentials{Credentials: rs.Credentials, LastUpdated: now,
		RoleARN: principal.RoleARNOf(r.AccountID, r.Path, r.RoleName), SessionARN: rs.ARN, Minted: true}
	s.mu.Lock()
	s.cached = &cachedSession{roleID: r.RoleID, trust: r.AssumeRolePolicyDocument, creds: out}
	s.mu.Unlock()
	return out, nil
}

// IdentityDocument is dynamic/instance-identity/document, with the fields an instance outside
// EC2 can truthfully give.
type IdentityDocument struct {
	AccountID        string `json:"accountId"`
	Architecture     string `json:"architecture"`
	AvailabilityZone string `json:"availabilityZone"`
	ImageID          string `json:"imageId"`
	InstanceID       string `json:"instanceId"`
	InstanceType     string `json:"instanceType"`
	PendingTime      string `json:"pendingTime"`
	PrivateIP        string `json:"privateIp"`
	Region           string `json:"region"`
	Version          string `json:"version"`
}

// Document answers dynamic/instance-identity/document; the instance was "launched" when the
// service was built.
func (s *Service) Document() IdentityDocument {
	return IdentityDocument{
		AccountID: s.d.AccountID, Architecture: "x86_64", AvailabilityZone: s.d.Region + "a",
		ImageID: "ami-00000000000000000", InstanceID: s.instanceID, InstanceType: "t3.micro",
		PendingTime: s.started.Format(time.RFC3339), PrivateIP: "127.0.0.1", Region: s.d.Region, Version: "2017-09-30",
	}
}
