package workloads

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// ECSTasks is the service principal a role's trust policy names to let containers use it.
const ECSTasks = "ecs-tasks.amazonaws.com"

// PathPrefix is the path of the container credentials endpoint below the issuer URL.
const PathPrefix = "/container-credentials/"

// Store is the part of the store workloads read and write.
type Store interface {
	store.WorkloadStore
}

// Sessions mints the role sessions.
type Sessions interface {
	FindRole(ctx context.Context, ref session.RoleRef) (store.Role, bool, error)
	AssumeRole(ctx context.Context, r session.Request) (session.RoleSession, error)
}

// Deps are what a Service is built from.
type Deps struct {
	Store    Store
	Sessions Sessions
	// Random is the source of authorization tokens (crypto/rand when nil).
	Random io.Reader
	Now    func() time.Time
}

// Service manages container bindings and answers the endpoint.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service { return &Service{d: d} }

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

// Session duration bounds of AssumeRole (STS API Reference, DurationSeconds).
const (
	minDuration = 900
	maxDuration = 43200
)

// nameRule keeps a binding's name usable as a URL path segment and as a role session name
// ([\w+=,.@-]{2,64}), which it is by default.
var (
	nameRule    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$`)
	sessionRule = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// CreateInput asks for a binding.
type CreateInput struct {
	Name, RoleARN, SessionName string
	DurationSeconds            int
}

// Created is a new binding and its authorization token, which is shown once and stored only as
// its digest.
type Created struct {
	Binding store.ContainerBinding
	Token   string
}

// ErrInvalid is every refusal of a binding's definition.
var ErrInvalid = errors.New("invalid container binding")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// CreateContainer stores a binding of the role to name. The role need not exist yet (as with an
// ECS task definition, whose task role is checked when a task asks for credentials).
func (s *Service) CreateContainer(ctx context.Context, in CreateInput) (Created, error) {
	if !nameRule.MatchString(in.Name) {
		return Created{}, invalid("the name %q must be 2 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", in.Name)
	}
	ref, ok := session.ParseRoleARN(in.RoleARN)
	if !ok {
		return Created{}, invalid("%q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", in.RoleARN)
	}
	if in.SessionName == "" {
		in.SessionName = in.Name
	}
	if !sessionRule.MatchString(in.SessionName) {
		return Created{}, invalid("the session name %q must be 2 to 64 characters of letters, digits and +=,.@_-", in.SessionName)
	}
	if in.DurationSeconds != 0 && (in.DurationSeconds < minDuration || in.DurationSeconds > maxDuration) {
		return Created{}, invalid("the duration must be between %d and %d seconds", minDuration, maxDuration)
	}
	raw := make([]byte, 32)
	rnd := s.d.Random
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, raw); err != nil {
		return Created{}, fmt.Errorf("generating the authorization token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	b := store.ContainerBinding{Name: in.Name, AccountID: ref.Account, RoleARN: in.RoleARN, SessionName: in.SessionName,
		DurationSeconds: in.DurationSeconds, TokenHash: digest(tok), CreatedAt: s.now()}
	if err := s.d.Store.CreateContainerBinding(ctx, b); err != nil {
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			return Created{}, invalid("a container binding named %q already exists", in.Name)
		case errors.Is(err, store.ErrNotFound):
			return Created{}, invalid("account %s is not hosted here", ref.Account)
		}
		return Created{}, err
	}
	return Created{Binding: b, Token: tok}, nil
}

// List lists every binding, by name.
func (s *Service) List(ctx context.Context) ([]store.ContainerBinding, error) {
	return s.d.Store.ListContainerBindings(ctx)
}

// Delete removes a binding; its token stops working at once.
func (s *Service) Delete(ctx context.Context, name string) error {
	if err := s.d.Store.DeleteContainerBinding(ctx, name); errors.Is(err, store.ErrNotFound) {
		return invalid("there is no container binding named %q", name)
	} else if err != nil {
		return err
	}
	return nil
}

func digest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Credentials are what the endpoint answers.
type Credentials struct {
	session.Credentials
	RoleARN, AccountID, SessionARN string
}

// Errors of the endpoint. A wrong token and an unknown (or deleted) binding get the same answer,
// so that the endpoint does not tell which names exist.
func errNoToken() error {
	return awserr.New("Unauthorized", http.StatusUnauthorized, "The Authorization header must carry the container authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN).")
}

func errBadToken() error {
	return awserr.New("AccessDenied", http.StatusForbidden, "The authorization token is not valid for this container credentials endpoint.")
}

// ContainerCredentials mints a session of the binding's role for a caller presenting its token.
// The token is compared by its digest in constant time.
func (s *Service) ContainerCredentials(ctx context.Context, name, token string) (Credentials, error) {
	if token == "" {
		return Credentials{}, errNoToken()
	}
	presented := digest(token)
	b, err := s.d.Store.GetContainerBinding(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Credentials{}, errBadToken()
	}
	if err != nil {
		return Credentials{}, storeErr(err)
	}
	if subtle.ConstantTimeCompare(presented, b.TokenHash) != 1 {
		return Credentials{}, errBadToken()
	}
	return s.assume(ctx, b)
}

func (s *Service) assume(ctx context.Context, b store.ContainerBinding) (Credentials, error) {
	const action = "sts:AssumeRole"
	ref, ok := session.ParseRoleARN(b.RoleARN)
	if !ok {
		return Credentials{}, session.FederatedDenied(action)
	}
	role, found, err := s.d.Sessions.FindRole(ctx, ref)
	if err != nil {
		return Credentials{}, err
	}
	if !found {
		return Credentials{}, session.FederatedDenied(action)
	}
	rs, err := s.d.Sessions.AssumeRole(ctx, session.Request{
		Action: action, Federated: session.ServiceIdentity(ECSTasks), Role: role,
		SessionName: b.SessionName, DurationSeconds: b.DurationSeconds,
		Condition: map[string][]string{"aws:SourceAccount": {b.AccountID}},
	})
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{Credentials: rs.Credentials, RoleARN: b.RoleARN, AccountID: role.AccountID, SessionARN: rs.ARN}, nil
}

func storeErr(err error) error {
	if errors.Is(err, store.ErrUnavailable) {
		return awserr.UnavailableError(err)
	}
	return awserr.InternalError(err)
}
