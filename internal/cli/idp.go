package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/testidp"
)

// idpCmd is `latchkey idp`: the built-in test identity provider. The commands read the test
// IdP's key rings from the store, as `latchkey keys rotate` does, so they work with the server
// running or not; the server publishes the same keys.
func idpCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "idp", Short: "Mint tokens of the built-in test identity provider (LATCHKEY_TEST_IDP=true)"}
	cmd.AddCommand(idpTokenCmd(g), idpActionsEnvCmd(g))
	return cmd
}

// withTestIDP opens the store and builds the test IdP, refusing when it is off.
func withTestIDP(ctx context.Context, g *globalFlags, errOut func() *cobra.Command, run func(*testidp.IdP) error) error {
	cfg, err := g.load()
	if err != nil {
		return err
	}
	if !cfg.TestIDP {
		return errors.New("the test identity provider is off: set LATCHKEY_TEST_IDP=true (for the server too)")
	}
	st, mk, err := app.OpenExistingStore(ctx, cfg, newLogger(cfg, errOut().ErrOrStderr()))
	if err != nil {
		return err
	}
	defer st.Close()
	return run(app.NewTestIDP(cfg, st, mk, time.Now))
}

type profileFlags struct {
	p testidp.Params
}

func (f *profileFlags) register(cmd *cobra.Command, all bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.p.Repository, "repository", "", "github-actions: OWNER/REPO")
	fl.StringVar(&f.p.Ref, "ref", "", "github-actions: full ref (refs/heads/main); gitlab-ci: branch or tag name")
	fl.StringVar(&f.p.Environment, "environment", "", "github-actions, gitlab-ci: deployment environment")
	fl.StringVar(&f.p.Event, "event", "", "github-actions: event_name (default push; pull_request gives the pull_request subject)")
	if !all {
		return
	}
	fl.StringVar(&f.p.ProjectPath, "project-path", "", "gitlab-ci: GROUP/PROJECT")
	fl.StringVar(&f.p.RefType, "ref-type", "", "gitlab-ci: branch (default) or tag")
	fl.StringVar(&f.p.Namespace, "namespace", "", "kubernetes: namespace")
	fl.StringVar(&f.p.ServiceAccount, "service-account", "", "kubernetes: service account name")
	fl.StringVar(&f.p.Pod, "pod", "", "kubernetes: pod name")
}

func idpTokenCmd(g *globalFlags) *cobra.Command {
	var (
		pf       profileFlags
		in       testidp.MintInput
		audience []string
		claims   []string
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a signed JWT of a test issuer",
		Example: "  latchkey idp token --issuer gh --profile github-actions --repository acme/app --ref refs/heads/main\n" +
			"  latchkey idp token --issuer k8s --profile kubernetes --namespace prod --service-account web",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Params, in.Audience, in.Claims = pf.p, audience, map[string]any{}
			for _, kv := range claims {
				k, v, err := testidp.ParseClaim(kv)
				if err != nil {
					return err
				}
				in.Claims[k] = v
			}
			return withTestIDP(cmd.Context(), g, func() *cobra.Command { return cmd }, func(p *testidp.IdP) error {
				tok, err := p.Mint(cmd.Context(), in)
				if err != nil {
					return err
				}
				printToken(cmd.OutOrStdout(), tok)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&in.Issuer, "issuer", "", "issuer name (the token's iss is <issuer URL>/test-idp/NAME)")
	cmd.Flags().StringVar(&in.Profile, "profile", testidp.Generic, "github-actions, gitlab-ci, kubernetes or generic")
	cmd.Flags().StringArrayVar(&audience, "audience", nil, "aud (repeat for several; default sts.amazonaws.com for github-actions and kubernetes)")
	cmd.Flags().StringArrayVar(&claims, "claim", nil, "add or override a claim: key=value, the value as JSON when it parses (repeatable)")
	cmd.Flags().DurationVar(&in.TTL, "ttl", testidp.DefaultTTL, "lifetime of the token (at most 24h)")
	pf.register(cmd, true)
	_ = cmd.MarkFlagRequired("issuer")
	return cmd
}

func idpActionsEnvCmd(g *globalFlags) *cobra.Command {
	var (
		pf     profileFlags
		issuer string
		ttl    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "actions-env",
		Short: "Print ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN for a GitHub Actions job",
		Long: "Prints the two variables GitHub's runner gives a job with `permissions: id-token: write`. A GET of the\n" +
			"URL with &audience=AUD and `Authorization: Bearer <token>` answers {\"value\": \"<JWT>\"} with the job's\n" +
			"github-actions claims. The request token is bound to this issuer, repository and ref, and expires.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withTestIDP(cmd.Context(), g, func() *cobra.Command { return cmd }, func(p *testidp.IdP) error {
				env, err := p.ActionsEnv(cmd.Context(), issuer, pf.p, ttl)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ACTIONS_ID_TOKEN_REQUEST_URL=%s\nACTIONS_ID_TOKEN_REQUEST_TOKEN=%s\n", env.RequestURL, env.RequestToken)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&issuer, "issuer", "", "issuer name")
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "how long the request token works (at most 6h)")
	pf.register(cmd, false)
	_ = cmd.MarkFlagRequired("issuer")
	return cmd
}

// printToken writes tok, with a newline only on a terminal: redirected to a file, the file holds
// the token alone, as a projected token file does. The SDKs send a token file's bytes as they are,
// and a token with a line break is not a compact JWS (RFC 7515 §7.1), so STS refuses it.
func printToken(w io.Writer, tok string) {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(w, tok)
			return
		}
	}
	fmt.Fprint(w, tok)
}
