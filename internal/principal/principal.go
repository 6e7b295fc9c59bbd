package principal

import "time"

// Kind is the principal type, as aws:PrincipalType names it.
type Kind int

const (
	Root Kind = iota + 1
	User
	AssumedRole
	FederatedUser
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
	}
	return "Unknown"
}

// Principal is an authenticated caller.
type Principal struct {
	Kind        Kind
	AccountID   string
	ARN         string
	UserID      string // aws:userid: account id for root, AIDA… for users, AROA…:session for roles
	UserName    string // IAM user name (users only)
	AccessKeyID string
	// Temporary is true for credentials minted by STS (ASIA… keys).
	Temporary bool
	Expires   time.Time
}

// RootARN is the ARN of an account's root user.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// UserARN is an IAM user's ARN; path is "/" or "/a/b/".
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + path + name
}
