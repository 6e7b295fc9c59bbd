package store

import (
	"context"
	"time"
)

// ContainerBinding ties a name under the container credentials endpoint
// (<issuer URL>/container-credentials/NAME) to the role its callers get sessions of. Names are
// unique across the deployment, since the endpoint's path carries no account. The authorization
// token is kept only as its SHA-256 digest.
type ContainerBinding struct {
	Name      string
	AccountID string
	RoleARN   string
	// SessionName is the role session name; DurationSeconds the requested duration, 0 for
	// the default.
	SessionName     string
	DurationSeconds int
	TokenHash       []byte
	CreatedAt       time.Time
}

// WorkloadStore keeps the bindings of the container credentials endpoint.
type WorkloadStore interface {
	// CreateContainerBinding fails with ErrAlreadyExists for a taken name and ErrNotFound when
	// the account does not exist.
	CreateContainerBinding(ctx context.Context, b ContainerBinding) error
	GetContainerBinding(ctx context.Context, name string) (ContainerBinding, error)
	// ListContainerBindings lists every binding ordered by name (code point).
	ListContainerBindings(ctx context.Context) ([]ContainerBinding, error)
	// DeleteContainerBinding fails with ErrNotFound when there is no such binding.
	DeleteContainerBinding(ctx context.Context, name string) error
}
