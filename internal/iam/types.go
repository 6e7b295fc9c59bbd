package iam

import (
	"time"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// The entities below are what the service answers with: what IAM reports of a stored row, without
// what only the service may see (sealed secrets and seeds, trust bindings, version counters).
// They are converted from the store's rows here, once.

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

// PrincipalKind says whether an inline policy, attachment or boundary belongs to a user, a role
// or (inline policies and attachments only) a group.
type PrincipalKind = store.PrincipalKind

// The owners of inline policies, attachments and permissions boundaries.
const (
	KindUser  = store.KindUser
	KindRole  = store.KindRole
	KindGroup = store.KindGroup
)

// User is a user as IAM reports it.
type User struct {
	AccountID           string
	UserID              string
	UserName            string
	Path                string
	ARN                 string
	PermissionsBoundary string
	Tags                []Tag
	CreatedAt           time.Time
	PasswordLastUsed    *time.Time
	Root                bool
}

func userView(u store.User) User {
	return User{
		AccountID: u.AccountID, UserID: u.UserID, UserName: u.UserName, Path: u.Path,
		ARN: principal.UserARN(u.AccountID, u.Path, u.UserName), PermissionsBoundary: u.PermissionsBoundary,
		Tags: tagsOf(u.Tags), CreatedAt: u.CreatedAt,
	}
}

// Role is a role as IAM reports it, its trust policy rendered (see roleViews).
type Role struct {
	AccountID                string
	RoleID                   string
	RoleName                 string
	Path                     string
	ARN                      string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	PermissionsBoundary      string
	Tags                     []Tag
	CreatedAt                time.Time
	LastUsedAt               *time.Time
	LastUsedRegion           string
}

func roleOf(r store.Role) Role {
	return Role{
		AccountID: r.AccountID, RoleID: r.RoleID, RoleName: r.RoleName, Path: r.Path,
		ARN:                      principal.RoleARNOf(r.AccountID, r.Path, r.RoleName),
		AssumeRolePolicyDocument: r.AssumeRolePolicyDocument, Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration, PermissionsBoundary: r.PermissionsBoundary,
		Tags: tagsOf(r.Tags), CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, LastUsedRegion: r.LastUsedRegion,
	}
}

// AccessKey is an access key as IAM reports it; Secret is set only when the key is created.
type AccessKey struct {
	AccessKeyID string
	UserName    string
	Status      string
	CreatedAt   time.Time
	Secret      string
}

func accessKeyOf(k store.AccessKey, userName string) AccessKey {
	return AccessKey{AccessKeyID: k.AccessKeyID, UserName: userName, Status: k.Status, CreatedAt: k.CreatedAt}
}

// ManagedPolicy is an AWS or customer managed policy.
type ManagedPolicy struct {
	ARN                string
	PolicyID           string
	PolicyName         string
	Path               string
	Description        string
	DefaultVersionID   string
	IsAttachable       bool
	AttachmentCount    int
	BoundaryUsageCount int
	Tags               []Tag
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func policyOf(p store.ManagedPolicy) ManagedPolicy {
	return ManagedPolicy{
		ARN: p.ARN, PolicyID: p.PolicyID, PolicyName: p.PolicyName, Path: p.Path, Description: p.Description,
		DefaultVersionID: p.DefaultVersionID, IsAttachable: p.IsAttachable, AttachmentCount: p.AttachmentCount,
		BoundaryUsageCount: p.BoundaryUsageCount, Tags: tagsOf(p.Tags), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID string
	Document  string
	CreatedAt time.Time
}

func versionOf(v store.PolicyVersion) PolicyVersion {
	return PolicyVersion{VersionID: v.VersionID, Document: v.Document, CreatedAt: v.CreatedAt}
}

// InlinePolicy is a policy embedded in a user or role.
type InlinePolicy struct {
	PolicyName string
	Document   string
}

// Attachment is a managed policy attached to a user or role.
type Attachment struct {
	PolicyARN  string
	PolicyName string
	OwnerKind  PrincipalKind
	OwnerID    string
	OwnerName  string
}

func attachmentOf(a store.Attachment) Attachment {
	return Attachment{PolicyARN: a.PolicyARN, PolicyName: a.PolicyName, OwnerKind: a.OwnerKind, OwnerID: a.OwnerID, OwnerName: a.OwnerName}
}

// MFADevice is an MFA device; User is the user it is assigned to, when the service looked it up.
type MFADevice struct {
	SerialNumber string
	EnabledAt    *time.Time
	Tags         []Tag
	User         *User
}

func deviceOf(d store.MFADevice) MFADevice {
	return MFADevice{SerialNumber: d.SerialNumber, EnabledAt: d.EnabledAt, Tags: tagsOf(d.Tags)}
}

// OIDCProvider is an OpenID Connect identity provider; URL keeps its scheme.
type OIDCProvider struct {
	ARN         string
	URL         string
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag
	CreatedAt   time.Time
}

func oidcOf(p store.OIDCProvider) OIDCProvider {
	return OIDCProvider{ARN: p.ARN, URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints, Tags: tagsOf(p.Tags), CreatedAt: p.CreatedAt}
}

// SAMLProvider is a SAML identity provider.
type SAMLProvider struct {
	ARN                     string
	Name                    string
	UUID                    string
	MetadataDocument        string
	ValidUntil              *time.Time
	AssertionEncryptionMode string
	Tags                    []Tag
	CreatedAt               time.Time
}

func samlOf(p store.SAMLProvider) SAMLProvider {
	return SAMLProvider{
		ARN: p.ARN, Name: p.Name, UUID: p.UUID, MetadataDocument: p.MetadataDocument, ValidUntil: p.ValidUntil,
		AssertionEncryptionMode: p.AssertionEncryptionMode, Tags: tagsOf(p.Tags), CreatedAt: p.CreatedAt,
	}
}

// mapAll converts a list of rows.
func mapAll[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// mapPage converts a page of rows.
func mapPage[S, T any](p Page[S], f func(S) T) Page[T] {
	return Page[T]{Items: mapAll(p.Items, f), IsTruncated: p.IsTruncated, Marker: p.Marker}
}

func tagsOf(in []store.Tag) []Tag {
	if len(in) == 0 {
		return nil
	}
	return mapAll(in, func(t store.Tag) Tag { return Tag(t) })
}

func storeTags(in []Tag) []store.Tag {
	return mapAll(in, func(t Tag) store.Tag { return store.Tag(t) })
}
