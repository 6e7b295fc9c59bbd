package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/testidp"
	"github.com/latchkey/latchkey/internal/token"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

type globalFlags struct {
	configFile string
	addr       string
	dataDir    string
}

// NewRoot builds the command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "latchkey",
		Short:         "A self-hosted AWS STS, IAM subset, Cognito Identity and QuickSight identity-context server",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.configFile, "config", os.Getenv("LATCHKEY_CONFIG"), "optional YAML config file (env LATCHKEY_CONFIG)")
	root.PersistentFlags().StringVar(&g.addr, "addr", "", "listen address (overrides LATCHKEY_ADDR)")
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", "", "data directory (overrides LATCHKEY_DATA_DIR)")
	root.AddCommand(serveCmd(g), migrateCmd(g), accountsCmd(g), keysCmd(g), idpCmd(g), explainCmd(g), decisionsCmd(g), workloadsCmd(g), credentialsCmd(), versionCmd())
	return root
}

// load builds the configuration and reports every problem in it at once: unknown YAML keys, values
// that do not parse and values that do not validate, each named as the user wrote it.
func (g *globalFlags) load() (config.Config, error) {
	cfg, loadErr := config.Load(g.configFile, os.LookupEnv)
	var flagErrs []error
	if g.addr != "" {
		flagErrs = append(flagErrs, cfg.Set("LATCHKEY_ADDR", "--addr", g.addr))
	}
	if g.dataDir != "" {
		flagErrs = append(flagErrs, cfg.Set("LATCHKEY_DATA_DIR", "--data-dir", g.dataDir))
	}
	if err := errors.Join(loadErr, errors.Join(flagErrs...), cfg.Validate()); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serveCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the server in the foreground (stop it with Ctrl-C or SIGTERM)",
		Long: "Run the server in the foreground; Ctrl-C (SIGINT) or SIGTERM shuts it down gracefully.\n\n" +
			config.HelpText(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			logger := newLogger(cfg, cmd.ErrOrStderr())
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfg, logger)
		},
	}
}

// serve binds the listeners before it opens the store, so that a taken port fails a start
// before anything is written, then serves until ctx ends.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("LATCHKEY_ADDR: %w", err)
	}
	defer ln.Close()
	var imdsLn net.Listener
	if cfg.IMDSAddr != "" {
		if imdsLn, err = net.Listen("tcp", cfg.IMDSAddr); err != nil {
			return fmt.Errorf("LATCHKEY_IMDS_ADDR: %w", err)
		}
		defer imdsLn.Close()
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("latchkey listening", "addr", ln.Addr().String(), "version", version(), "account", cfg.AccountID, "region", cfg.Region, "database", redactURL(cfg.DatabaseURL))
	warnUnusableIssuer(cfg, logger)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	servers := []*http.Server{srv}
	if imdsLn != nil {
		servers = append(servers, serveIMDS(cfg, imdsLn, a.IMDS, logger, errc))
	}
	go a.RotateOnSchedule(ctx)
	select {
	case err := <-errc:
		for _, s := range servers {
			_ = s.Close()
		}
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// serveIMDS serves the EC2 instance metadata listener (LATCHKEY_IMDS_ADDR); its Serve error goes
// to errc. Metadata requests and answers are small, so its limits are tight.
func serveIMDS(cfg config.Config, ln net.Listener, h http.Handler, logger *slog.Logger, errc chan<- error) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("instance metadata listening", "addr", ln.Addr().String(), "instance_profile", cfg.IMDSInstanceProfile, "allow_v1", cfg.IMDSAllowV1)
	go func() { errc <- srv.Serve(ln) }()
	return srv
}

// warnUnusableIssuer warns when the issuer URL would be derived from a wildcard listen address
// (http://0.0.0.0:8855), which no client can reach or match against a token's iss.
func warnUnusableIssuer(cfg config.Config, logger *slog.Logger) {
	if cfg.IssuerURL != "" {
		return
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		logger.Warn("listening on all interfaces without LATCHKEY_ISSUER_URL: the issuer URL would be "+app.IssuerURL(cfg)+
			", which no client can use; set LATCHKEY_ISSUER_URL (issuer_url in the config file) to the URL clients reach this server at",
			"addr", cfg.Addr, "issuer", app.IssuerURL(cfg))
	}
}

// redactURL keeps database passwords out of the log, in the user-info part and in the query.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw // a plain file path carries no password
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "redacted")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func migrateCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the store's schema migrations and exit",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			// Migrations need no master key: opening through app.OpenStore would generate one
			// where none is configured and record it in a shared database before any node ran.
			st, err := sqlstore.Open(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return fmt.Errorf("opening store: %w", err)
			}
			defer st.Close()
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
			return nil
		},
	}
}

func accountsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "accounts", Short: "Manage accounts"}
	var (
		id     string
		member bool
	)
	create := &cobra.Command{
		Use:   "create --id 111111111111 [--member]",
		Short: "Add an account and print its root credentials",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(id) {
				return fmt.Errorf("--id %q: want exactly 12 digits", id)
			}
			st, mk, err := app.OpenExistingStore(cmd.Context(), cfg, newLogger(cfg, cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			if err := st.CreateAccount(cmd.Context(), store.Account{ID: id, CreatedAt: now.UTC().Truncate(time.Second)}); err != nil {
				if errors.Is(err, store.ErrAlreadyExists) {
					return fmt.Errorf("account %s already exists", id)
				}
				return err
			}
			if member {
				if err := st.SetManagementAccount(cmd.Context(), id, cfg.AccountID); err != nil {
					return fmt.Errorf("making %s a member of %s's organization: %w", id, cfg.AccountID, err)
				}
			}
			keyID, secret, err := app.CreateRootKey(cmd.Context(), st, mk, id, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, keyID, secret)
			return nil
		},
	}
	create.Flags().StringVar(&id, "id", "", "the 12-digit account id")
	create.Flags().BoolVar(&member, "member", false, "make the account a member of the organization managed by the default account (for AssumeRoot)")
	_ = create.MarkFlagRequired("id")
	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			st, _, err := app.OpenExistingStore(cmd.Context(), cfg, newLogger(cfg, cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			defer st.Close()
			accts, err := st.ListAccounts(cmd.Context())
			if err != nil {
				return err
			}
			for _, a := range accts {
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", a.ID, a.CreatedAt.Format(time.RFC3339))
			}
			return nil
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func keysCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage key rings"}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate the session-token and issuer key rings now (old keys keep verifying until their tokens expire)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			st, mk, err := app.OpenExistingStore(cmd.Context(), cfg, newLogger(cfg, cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			defer st.Close()
			id, err := token.SessionRing(st, mk, time.Now).Rotate(cmd.Context(), app.SessionTokenLifetime+time.Hour)
			if err != nil {
				return err
			}
			iss := token.NewIssuer(st, mk, time.Now, app.IssuerURL(cfg))
			for _, r := range []*keys.Ring{iss.RS256, iss.ES384} {
				if _, err := r.Rotate(cmd.Context(), app.IssuedTokenLifetime+time.Hour); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "issuer key rings (RS256, ES384) rotated")
			if cfg.TestIDP {
				for _, r := range app.TestIDPRings(testidp.Rings(st, mk, time.Now)) {
					if _, err := r.Ring.Rotate(cmd.Context(), r.Verify); err != nil {
						return err
					}
				}
				fmt.Fprintln(cmd.OutOrStdout(), "test IdP key rings rotated")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "session-token key ring rotated; new signing key %s\n", id)
			return nil
		},
	}
	cmd.AddCommand(rotate)
	return cmd
}
