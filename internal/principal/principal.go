package principal

import (
	"strings"
	"time"
)

// Kind is the principal type, as aws:PrincipalType names it.
type Kind int

const (
	Root Kind = iota + 1
	User
	AssumedRole
	FederatedUser
	// WebIdentity and SAMLUser describe an unsigned federated caller while STS evaluates a role's
	// trust policy; no credentials ever carry these kinds.
	WebIdentity
	SAMLUser
)

func (k Kind) String() string {
	switch k {
	case Root:
		return "Account"
	case User:
		return "User"
	case AssumedRole:
		return "AssumedRole"
	case FederatedUser:
		return "FederatedUser"
	case WebIdentity:
		return "WebIdentityUser"
	case SAMLUser:
		return "SAMLUser"
	}
	return "Unknown"
}

// Principal is an authenticated caller. For temporary credentials every field below Temporary
// travels inside the sealed session token, so a request signed with them needs no store read to
// know who is calling and with which session limits.
type Principal struct {
	Kind        Kind      `json:"k"`
	AccountID   string    `json:"a"`
	ARN         string    `json:"arn"`
	UserID      string    `json:"uid"`          // aws:userid: account id for root, AIDA… for users, AROA…:session for roles
	UserName    string    `json:"un,omitempty"` // IAM user name (users, and the user behind a GetSessionToken session)
	AccessKeyID string    `json:"-"`
	Temporary   bool      `json:"-"`
	Expires     time.Time `json:"exp"`

	// Source says which STS operation minted the session ("AssumeRole", "GetSessionToken", …).
	Source   string    `json:"src,omitempty"`
	IssuedAt time.Time `json:"iat"`
	// BaseUserID is the IAM user whose policies apply to GetSessionToken and GetFederationToken
	// sessions ("" when root minted them).
	BaseUserID string `json:"buid,omitempty"`

	RoleID      string `json:"rid,omitempty"`
	RoleName    string `json:"rn,omitempty"`
	RoleARN     string `json:"rarn,omitempty"` // with path, as aws:PrincipalArn reports it
	SessionName string `json:"sn,omitempty"`

	// Session policies: the session's permissions are further limited to what they allow.
	HasSessionPolicies bool     `json:"hsp,omitempty"`
	SessionPolicy      string   `json:"sp,omitempty"`
	SessionPolicyARNs  []string `json:"spa,omitempty"`

	Tags              []Tag    `json:"tags,omitempty"`
	TransitiveTagKeys []string `json:"ttk,omitempty"`
	SourceIdentity    string   `json:"si,omitempty"`

	MFAAuthenticated bool      `json:"mfa,omitempty"`
	MFAAuthTime      time.Time `json:"mfat,omitempty"`
	// Chained is true for a role session obtained with role-session credentials (1-hour cap).
	Chained           bool   `json:"ch,omitempty"`
	FederatedProvider string `json:"fp,omitempty"`
	// TaskPolicyARN scopes an AssumeRoot session.
	TaskPolicyARN string `json:"tp,omitempty"`
	// IdentityContext is the trusted identity context of an identity-enhanced role session
	// (AssumeRole with ProvidedContexts); nil for every other session.
	IdentityContext *IdentityContext `json:"ic,omitempty"`
}

// IdentityContext is the identity an identity-enhanced role session acts for: the QuickSight
// user a verified context assertion named.
type IdentityContext struct {
	Provider    string    `json:"p"`   // the ProviderArn
	AccountID   string    `json:"a"`   // the QuickSight user's account
	Namespace   string    `json:"ns"`  // the QuickSight namespace
	UserARN     string    `json:"u"`   // arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>
	PrincipalID string    `json:"pid"` // the QuickSight user's PrincipalId
	Region      string    `json:"r"`   // the region the context was issued for
	Expires     time.Time `json:"exp"` // the assertion's expiry
}

// Tag is a session or principal tag.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Tag looks up a principal tag case-insensitively (IAM tag keys on principals are case-insensitive).
func (p *Principal) Tag(key string) (string, bool) {
	for _, t := range p.Tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value, true
		}
	}
	return "", false
}

// RootARN is the ARN of an account's root user.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// UserARN is an IAM user's ARN; path is "/" or "/a/b/".
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + path + name
}

// RoleARN builds a role's ARN; path is "/" or "/a/b/".
func RoleARNOf(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + path + name
}

// AssumedRoleARN is a role session's ARN; the role's path is not part of it.
func AssumedRoleARN(account, roleName, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session
}

// FederatedUserARN is a GetFederationToken session's ARN.
func FederatedUserARN(account, name string) string {
	return "arn:aws:sts::" + account + ":federated-user/" + name
}
