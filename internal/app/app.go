package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/api/iamapi"
	"github.com/latchkey/latchkey/internal/api/stsapi"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/sts"
)

// App is an assembled node.
type App struct {
	Config  config.Config
	Store   store.Store
	Master  *keys.MasterKey
	Handler *server.Server
	Logger  *slog.Logger
	// RootCredentialsFile is set when this start generated root credentials.
	RootCredentialsFile string
}

// Options are the process-level collaborators.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
}

// OpenStore opens the configured store and proves the master key against it.
func OpenStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (store.Store, *keys.MasterKey, error) {
	var configured []byte
	if cfg.MasterKey != "" {
		k, err := cfg.MasterKeyBytes()
		if err != nil {
			return nil, nil, err
		}
		configured = k
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating data dir %s: %w", cfg.DataDir, err)
	}
	mk, generated, err := keys.LoadOrCreate(configured, cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	if generated {
		logger.Info("generated a new master key; back it up, every stored secret depends on it", "path", filepath.Join(cfg.DataDir, "master.key"))
	}
	st, err := sqlstore.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("opening store: %w", err)
	}
	if err := keys.Verify(ctx, st, mk); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, mk, nil
}

// New assembles a node from a validated configuration.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	st, mk, err := OpenStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Master: mk, Logger: logger}
	if err := a.bootstrap(ctx, now); err != nil {
		st.Close()
		return nil, err
	}
	authenticator := authn.New(st, mk, authn.Options{Now: now, Logger: logger})
	az := authz.Default{}
	iamSvc := &iam.Service{Store: st, Authz: az, Master: mk, Cache: authenticator, IDs: ids.Default, Now: now, SecretAAD: authn.SecretAAD}
	stsSvc := &sts.Service{Store: st, Authz: az}
	h, err := server.New(server.Deps{
		Store:             st,
		Authn:             authenticator,
		STS:               stsapi.Table(stsSvc),
		IAM:               iamapi.Table(iamSvc),
		Cognito:           api.Table{},
		QuickSight:        api.Table{},
		Region:            cfg.Region,
		MaxQueryBodyBytes: cfg.MaxQueryBodyBytes,
		MaxJSONBodyBytes:  cfg.MaxJSONBodyBytes,
		Logger:            logger,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	a.Handler = h
	return a, nil
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// bootstrap makes sure the default account exists and has root credentials.
func (a *App) bootstrap(ctx context.Context, now func() time.Time) error {
	cfg := a.Config
	if err := a.Store.CreateAccount(ctx, store.Account{ID: cfg.AccountID, CreatedAt: now().UTC().Truncate(time.Second)}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("creating default account: %w", err)
	}
	if cfg.RootAccessKeyID != "" {
		k := store.AccessKey{
			AccessKeyID:      cfg.RootAccessKeyID,
			AccountID:        cfg.AccountID,
			Status:           "Active",
			SecretCiphertext: a.Master.Seal([]byte(cfg.RootSecretAccessKey), authn.SecretAAD(cfg.RootAccessKeyID)),
			CreatedAt:        now().UTC().Truncate(time.Second),
		}
		if err := a.Store.PutRootAccessKey(ctx, k); err != nil {
			return fmt.Errorf("storing configured root credentials: %w", err)
		}
		a.Logger.Info("root credentials of the default account set from the environment", "account", cfg.AccountID, "access_key_id", cfg.RootAccessKeyID)
		return nil
	}
	existing, err := a.Store.ListAccessKeys(ctx, cfg.AccountID, "")
	if err != nil {
		return fmt.Errorf("listing root credentials: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	id, secret, err := CreateRootKey(ctx, a.Store, a.Master, cfg.AccountID, now())
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.DataDir, "root-credentials")
	if err := WriteCredentialsFile(path, id, secret); err != nil {
		return err
	}
	a.RootCredentialsFile = path
	a.Logger.Info("generated root credentials for the default account; the secret is only in the file", "account", cfg.AccountID, "access_key_id", id, "file", path)
	return nil
}

// CreateRootKey mints a root access key for an account (subject to the two-key quota).
func CreateRootKey(ctx context.Context, st store.Store, mk *keys.MasterKey, account string, now time.Time) (string, string, error) {
	for attempt := 0; ; attempt++ {
		id := ids.Default.AccessKeyID(ids.PrefixLongTermKey, account)
		secret := ids.Default.SecretAccessKey()
		err := st.CreateAccessKey(ctx, store.AccessKey{
			AccessKeyID:      id,
			AccountID:        account,
			Status:           "Active",
			SecretCiphertext: mk.Seal([]byte(secret), authn.SecretAAD(id)),
			CreatedAt:        now.UTC().Truncate(time.Second),
		}, iam.MaxAccessKeysPerOwner)
		if errors.Is(err, store.ErrAlreadyExists) && attempt < 3 {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("creating root credentials: %w", err)
		}
		return id, secret, nil
	}
}

// WriteCredentialsFile writes an AWS shared-credentials file readable only by its owner.
func WriteCredentialsFile(path, id, secret string) error {
	content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
