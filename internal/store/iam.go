package store

import (
	"context"
	"time"
)

// Role is an IAM role. Names are unique per account case-insensitively.
type Role struct {
	AccountID                string
	RoleID                   string // AROA…, immutable, globally unique
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string // stored exactly as submitted
	Description              string
	MaxSessionDuration       int // seconds, 3600..43200
	PermissionsBoundary      string
	Tags                     []Tag
	CreatedAt                time.Time
	LastUsedAt               *time.Time
	LastUsedRegion           string
	// PrincipalBindings bind the IAM users, roles and role sessions AssumeRolePolicyDocument
	// names to the unique ids they had when it was saved. They are written with the document,
	// in the same transaction, and read with it.
	PrincipalBindings []PrincipalBinding
	// PrincipalsBound is false for a role whose bindings were never written: one stored before
	// bindings existed, or by a node of a version that does not know them. Its named principals
	// match no one until IAM binds it (see ListUnboundRoles).
	PrincipalsBound bool
}

// PrincipalBinding ties one principal of a trust policy, exactly as the document writes it, to
// the unique id of the IAM user or role it named when the policy was saved (AIDA… or AROA…; a
// role session is bound to its role's id). IAM matches and displays bound principals by it
// (IAM User Guide, "AWS JSON policy elements: Principal").
type PrincipalBinding struct {
	Principal string
	ID        string
}

// PrincipalEntity is an IAM user or role found by its unique id.
type PrincipalEntity struct {
	ID        string
	Kind      PrincipalKind // KindUser or KindRole
	AccountID string
	Path      string
	Name      string
}

// RolePage is one page of ListRoles.
type RolePage struct {
	Roles []Role
	Next  string // lower-cased name marker for the next page, "" on the last page
}

// PrincipalKind names the owner of inline policies and attachments.
type PrincipalKind string

const (
	KindUser PrincipalKind = "user"
	KindRole PrincipalKind = "role"
)

// InlinePolicy is a policy embedded in a user, role or group. Names are unique per owner (exact match).
type InlinePolicy struct {
	OwnerKind  PrincipalKind
	OwnerID    string // UserID, RoleID or GroupID
	PolicyName string
	Document   string
}

// AWSManagedPolicyAccount is the AccountID of AWS managed policies (arn:aws:iam::aws:policy/…).
const AWSManagedPolicyAccount = "aws"

// PolicyUsableIn reports whether a managed policy of policyAccount may be attached, set as a
// permissions boundary or passed as a session policy in account: its own customer managed
// policies and AWS managed policies only ("Customer managed policies are standalone policies that
// you manage in your own AWS account", IAM User Guide).
func PolicyUsableIn(policyAccount, account string) bool {
	return policyAccount == account || policyAccount == AWSManagedPolicyAccount
}

// ManagedPolicy is a customer managed policy (AccountID is the account id) or an AWS managed policy
// (AccountID AWSManagedPolicyAccount). Names are unique per account case-insensitively; ARNs are unique.
type ManagedPolicy struct {
	AccountID        string
	PolicyID         string // ANPA…
	PolicyName       string
	Path             string
	ARN              string
	Description      string
	DefaultVersionID string
	// NextVersion is the number the next version gets; version ids are never reused.
	NextVersion  int
	IsAttachable bool
	Tags         []Tag
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// AttachmentCount and BoundaryUsageCount are computed by the store on reads.
	AttachmentCount    int
	BoundaryUsageCount int
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	PolicyARN string
	VersionID string // "v1", "v2", …
	Document  string
	CreatedAt time.Time
}

// PolicyPage is one page of ListPolicies.
type PolicyPage struct {
	Policies []ManagedPolicy
	Next     string
}

// Attachment is a managed policy attached to a user, role or group.
type Attachment struct {
	PolicyARN  string
	PolicyName string
	OwnerKind  PrincipalKind
	OwnerID    string
	OwnerName  string // user, role or group name, filled on reads
}

// MFADevice is a virtual MFA device. UserID is "" until EnableMFADevice assigns it.
type MFADevice struct {
	SerialNumber   string // arn:aws:iam::ACCOUNT:mfa/PATH NAME
	AccountID      string
	Path           string
	Name           string
	SeedCiphertext []byte // the base32 TOTP seed, sealed with the master key
	UserID         string
	EnabledAt      *time.Time
	// LastUsedStep is the last accepted TOTP time step, so a code cannot be replayed.
	LastUsedStep int64
	Tags         []Tag
	CreatedAt    time.Time
}

// RoleStore keeps roles.
type RoleStore interface {
	CreateRole(ctx context.Context, r Role) error
	// GetRole looks a role up by name, case-insensitively.
	GetRole(ctx context.Context, accountID, roleName string) (Role, error)
	GetRoleByID(ctx context.Context, roleID string) (Role, error)
	// UpdateRole is the updater (see "Updaters") of the role with roleID. AssumeRolePolicyDocument,
	// PrincipalBindings, PrincipalsBound, Description, MaxSessionDuration, PermissionsBoundary and
	// Tags may change. AccountID, RoleID, RoleName, Path and CreatedAt are fixed, and so are
	// LastUsedAt and LastUsedRegion, which belong to RecordRoleUse.
	UpdateRole(ctx context.Context, roleID string, fn func(*Role) error) (Role, error)
	// DeleteRole fails with ErrConflict while inline policies or attachments remain.
	DeleteRole(ctx context.Context, accountID, roleID string) error
	ListRoles(ctx context.Context, accountID, pathPrefix, after string, limit int) (RolePage, error)
	// RecordRoleUse sets RoleLastUsed. Best effort.
	RecordRoleUse(ctx context.Context, roleID string, at time.Time, region string) error
	// ListUnboundRoles returns up to limit roles, of every account, whose PrincipalsBound is
	// false, ordered by RoleID and starting after the RoleID after ("" for the first page).
	ListUnboundRoles(ctx context.Context, after string, limit int) ([]Role, error)
	// GetPrincipalsByID returns the users and roles, of any account, whose unique ids are among
	// ids, reading a few hundred ids per query rather than one at a time; ids that name nothing
	// are left out.
	GetPrincipalsByID(ctx context.Context, ids []string) ([]PrincipalEntity, error)
}

// PolicyStore keeps inline and managed policies and attachments.
type PolicyStore interface {
	// PutInlinePolicy creates or replaces. maxAggregate bounds the sum of the owner's inline
	// policy sizes (as measured by size) inside the write transaction: ErrLimitExceeded above it.
	PutInlinePolicy(ctx context.Context, p InlinePolicy, size func(doc string) int, maxAggregate int) error
	GetInlinePolicy(ctx context.Context, kind PrincipalKind, ownerID, name string) (InlinePolicy, error)
	DeleteInlinePolicy(ctx context.Context, kind PrincipalKind, ownerID, name string) error
	// ListInlinePolicies returns the owner's inline policies ordered by name.
	ListInlinePolicies(ctx context.Context, kind PrincipalKind, ownerID string) ([]InlinePolicy, error)

	// CreateManagedPolicy inserts the policy and its first version v (which becomes the default).
	CreateManagedPolicy(ctx context.Context, p ManagedPolicy, v PolicyVersion) error
	GetManagedPolicy(ctx context.Context, arn string) (ManagedPolicy, error)
	// ListManagedPolicies lists policies of one account ("aws" for AWS managed) under a path prefix,
	// optionally only attached ones, ordered by lower-cased name.
	ListManagedPolicies(ctx context.Context, accountID, pathPrefix string, onlyAttached bool, after string, limit int) (PolicyPage, error)
	// DeleteManagedPolicy fails with ErrConflict while the policy is attached, used as a
	// permissions boundary, or has versions besides the default.
	DeleteManagedPolicy(ctx context.Context, arn string) error
	// CreatePolicyVersion adds version "v<NextVersion>" and returns it; ErrLimitExceeded when the
	// policy already has maxVersions versions. setDefault makes it the default in the same transaction.
	CreatePolicyVersion(ctx context.Context, arn, document string, createdAt time.Time, setDefault bool, maxVersions int) (PolicyVersion, error)
	GetPolicyVersion(ctx context.Context, arn, versionID string) (PolicyVersion, error)
	ListPolicyVersions(ctx context.Context, arn string) ([]PolicyVersion, error)
	// DeletePolicyVersion fails with ErrConflict for the default version.
	DeletePolicyVersion(ctx context.Context, arn, versionID string) error
	// SetDefaultPolicyVersion is one conditional write (the version must exist in the same
	// statement), not a read-modify-write, so it needs no updater.
	SetDefaultPolicyVersion(ctx context.Context, arn, versionID string, updatedAt time.Time) error
	// UpdateManagedPolicy is the updater (see "Updaters") of the policy with arn. Only Tags may
	// change: the default version and the version counter belong to CreatePolicyVersion and
	// SetDefaultPolicyVersion, and no IAM operation changes the rest. The counts are computed.
	UpdateManagedPolicy(ctx context.Context, arn string, fn func(*ManagedPolicy) error) (ManagedPolicy, error)

	// Attach is idempotent; ErrLimitExceeded when the owner already has maxPerOwner attachments;
	// ErrNotFound when the policy does not exist.
	Attach(ctx context.Context, a Attachment, maxPerOwner int) error
	// Detach fails with ErrNotFound when the policy is not attached to the owner.
	Detach(ctx context.Context, a Attachment) error
	ListAttachments(ctx context.Context, kind PrincipalKind, ownerID string) ([]Attachment, error)
	// ListPolicyAttachments lists the users, roles and groups a policy is attached to.
	ListPolicyAttachments(ctx context.Context, arn string) ([]Attachment, error)
	// ListPolicyEntities lists the users, roles and groups of account that use the policy arn as
	// q selects, each once: users, then roles, then groups, each by lower-cased name.
	ListPolicyEntities(ctx context.Context, account, arn string, q PolicyEntityQuery) ([]PolicyEntity, error)
}

// PolicyEntityQuery selects the entities that use a managed policy (ListEntitiesForPolicy).
// With neither Attached nor Boundary set, no entity is selected.
type PolicyEntityQuery struct {
	Kind       PrincipalKind // only this kind; "" for users, roles and groups
	PathPrefix string        // only entities whose path begins with it; "" for every path
	Attached   bool          // entities the policy is attached to
	Boundary   bool          // users and roles whose permissions boundary the policy is
}

// PolicyEntity is a user, role or group that uses a managed policy.
type PolicyEntity struct {
	Kind PrincipalKind
	ID   string
	Name string
	Path string
}

// MFAStore keeps virtual MFA devices.
type MFAStore interface {
	// CreateMFADevice fails with ErrAlreadyExists when the serial number exists.
	CreateMFADevice(ctx context.Context, d MFADevice) error
	GetMFADevice(ctx context.Context, serial string) (MFADevice, error)
	// EnableMFADevice assigns an unassigned device to a user: ErrConflict when already assigned.
	EnableMFADevice(ctx context.Context, serial, userID string, at time.Time, step int64) error
	// DeactivateMFADevice unassigns it (the device keeps existing).
	DeactivateMFADevice(ctx context.Context, serial string) error
	// DeleteMFADevice fails with ErrConflict while the device is assigned.
	DeleteMFADevice(ctx context.Context, serial string) error
	// ListMFADevices lists the devices of one account; userID "" = all, else only that user's.
	ListMFADevices(ctx context.Context, accountID, userID string) ([]MFADevice, error)
	// UseMFAStep records an accepted TOTP step only if it is newer than LastUsedStep (compare-and-set),
	// returning ErrConflict for a replayed or older step.
	UseMFAStep(ctx context.Context, serial string, step int64) error
	// UpdateMFADevice is the updater (see "Updaters") of the device with serial. Only Tags may
	// change: assignment and the last used step belong to EnableMFADevice, DeactivateMFADevice and
	// UseMFAStep, which are compare-and-set writes of their own.
	UpdateMFADevice(ctx context.Context, serial string, fn func(*MFADevice) error) (MFADevice, error)
}

// SigningKey is one key of a key ring (session-token sealing, or the OIDC issuer's RS256/ES384 keys).
type SigningKey struct {
	ID       string // short, unique, appears in clear in tokens (kid)
	Purpose  string // "session-token", "oidc-rs256", "oidc-es384"
	Material []byte // sealed with the master key
	// ActiveFrom: the key signs from then on; the newest key whose ActiveFrom has passed is the signer.
	ActiveFrom time.Time
	// RetireAt: no longer used to sign; still verifies until VerifyUntil.
	RetireAt    *time.Time
	VerifyUntil *time.Time
	CreatedAt   time.Time
}

// KeyRingStore keeps key rings.
type KeyRingStore interface {
	// AddSigningKey inserts a key; ErrAlreadyExists for a duplicate id.
	AddSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every key of a purpose, oldest first, including retired ones still verifying.
	ListSigningKeys(ctx context.Context, purpose string) ([]SigningKey, error)
	// RetireSigningKeys marks every not-yet-retired key of purpose except keepID as retired at `at`,
	// verifying until verifyUntil, in one transaction.
	RetireSigningKeys(ctx context.Context, purpose, keepID string, at, verifyUntil time.Time) error
	// DeleteExpiredSigningKeys removes keys whose VerifyUntil is before now.
	DeleteExpiredSigningKeys(ctx context.Context, purpose string, now time.Time) error
}

// OrgStore records organization membership for AssumeRoot.
type OrgStore interface {
	// SetManagementAccount makes accountID a member of the organization managed by managementID.
	SetManagementAccount(ctx context.Context, accountID, managementID string) error
	// ManagementAccount returns the management account of a member, "" if it is not a member.
	ManagementAccount(ctx context.Context, accountID string) (string, error)
}
