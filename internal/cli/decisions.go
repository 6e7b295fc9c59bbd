package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/store"
)

// explainCmd is `latchkey explain REQUEST_ID`. Like `latchkey keys rotate`, it reads the store
// directly with the server's configuration, so it answers for a refusal of any node.
func explainCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "explain REQUEST_ID",
		Short: "Explain why a recent request was refused (the summary, then each policy, statement, condition or check)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDecisions(cmd, g, func(cfg config.Config, st store.Store) error {
				d, err := st.GetDecision(cmd.Context(), args[0])
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no recent refusal with request id %q (refusals are kept %s, at most %d)", args[0], cfg.DecisionsMaxAge, cfg.DecisionsMax)
				}
				if err != nil {
					return err
				}
				if asJSON {
					return writeDecisionJSON(cmd.OutOrStdout(), d)
				}
				return RenderDecision(cmd.OutOrStdout(), d)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the decision as the admin API's JSON")
	return cmd
}

// decisionsCmd is `latchkey decisions --refused|--issued [--since 10m] [--principal ARN] [--action P]`.
func decisionsCmd(g *globalFlags) *cobra.Command {
	var (
		refused, issued          bool
		since, principal, action string
		account                  string
		limit                    int
	)
	cmd := &cobra.Command{
		Use:   "decisions --refused|--issued [--since 10m] [--principal ARN] [--action 'sts:AssumeRole*']",
		Short: "List recent refused requests or credentials issued, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if refused == issued {
				return errors.New("pass one of --refused (requests refused) or --issued (credentials issued)")
			}
			f := store.IssuanceFilter{AccountID: account, Principal: principal, Action: action, Limit: limit}
			if since != "" {
				t, err := server.ParseSince(since, time.Now())
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				f.Since = t
			}
			return withDecisions(cmd, g, func(_ config.Config, st store.Store) error {
				if issued {
					is, err := st.ListIssuances(cmd.Context(), f)
					if err != nil {
						return err
					}
					RenderIssuanceList(cmd.OutOrStdout(), is)
					return nil
				}
				ds, err := st.ListDecisions(cmd.Context(), store.DecisionFilter(f))
				if err != nil {
					return err
				}
				RenderDecisionList(cmd.OutOrStdout(), ds)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&refused, "refused", false, "list refused requests")
	fl.BoolVar(&issued, "issued", false, "list credentials issued (access key ids, never secrets)")
	fl.StringVar(&since, "since", "", "only those since a duration ago (10m, 2h) or an RFC 3339 time")
	fl.StringVar(&principal, "principal", "", "only those of this principal ARN")
	fl.StringVar(&action, "action", "", "only those of actions matching this pattern (* and ?, any case)")
	fl.StringVar(&account, "account", "", "only those of this account")
	fl.IntVar(&limit, "limit", 100, "at most this many (0: no limit)")
	return cmd
}

// RenderIssuanceList prints one line per credential issued: time, request id, action, principal,
// then the session (or role), access key id and expiration.
func RenderIssuanceList(w io.Writer, is []store.Issuance) {
	if len(is) == 0 {
		fmt.Fprintln(w, "no recent credentials issued match")
		return
	}
	for _, i := range is {
		who := i.PrincipalARN
		if who == "" {
			who = "(unsigned, account " + orDash(i.AccountID) + ")"
		}
		target := i.SessionARN
		if target == "" {
			target = orDash(i.RoleARN)
		}
		expires := "-"
		if !i.Expiration.IsZero() {
			expires = i.Expiration.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s  %s  %s:%s  %s\n    %s  %s  expires %s\n", i.Time.UTC().Format(time.RFC3339), i.RequestID, i.Service, i.Operation, who,
			target, orDash(i.AccessKeyID), expires)
	}
}

// withDecisions opens the configured store, as the server does, and runs fn on it.
func withDecisions(cmd *cobra.Command, g *globalFlags, fn func(config.Config, store.Store) error) error {
	cfg, err := g.load()
	if err != nil {
		return err
	}
	st, _, err := app.OpenExistingStore(cmd.Context(), cfg, newLogger(cfg, cmd.ErrOrStderr()))
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(cfg, st)
}

func writeDecisionJSON(w io.Writer, d store.Decision) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(server.DecisionView(d))
}

// RenderDecisionList prints one line per decision: time, request id, action, code, principal,
// summary.
func RenderDecisionList(w io.Writer, ds []store.Decision) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "no recent refusals match")
		return
	}
	for _, d := range ds {
		var x explain.Explanation
		_ = json.Unmarshal(d.Explanation, &x)
		who := d.PrincipalARN
		if who == "" {
			who = "(unsigned, account " + orDash(d.AccountID) + ")"
		}
		fmt.Fprintf(w, "%s  %s  %s  %s  %s\n    %s\n", d.Time.UTC().Format(time.RFC3339), d.RequestID, d.Action, d.ErrorCode, who, x.Summary)
	}
}

// RenderDecision prints a refusal as text: the summary first, then the tree of policies,
// statements and conditions, or of checks, each marked ✓ (matched, passed) or ✗.
func RenderDecision(w io.Writer, d store.Decision) error {
	var x explain.Explanation
	if err := json.Unmarshal(d.Explanation, &x); err != nil {
		return fmt.Errorf("the stored explanation of %s is not readable: %w", d.RequestID, err)
	}
	fmt.Fprintf(w, "%s\n\n", x.Summary)
	fmt.Fprintf(w, "request   %s\ntime      %s\naction    %s (%s:%s)\nrefused   %s, %s\n", d.RequestID, d.Time.UTC().Format(time.RFC3339), d.Action, d.Service, d.Operation, d.ErrorCode, x.Outcome)
	if d.PrincipalARN != "" {
		fmt.Fprintf(w, "principal %s\n", d.PrincipalARN)
	}
	if x.Resource != "" {
		fmt.Fprintf(w, "resource  %s\n", x.Resource)
	}
	RenderExplanation(w, &x)
	return nil
}

// RenderExplanation prints the tree of x below a blank line.
func RenderExplanation(w io.Writer, x *explain.Explanation) {
	if len(x.Policies)+len(x.Checks) > 0 {
		fmt.Fprintln(w)
	}
	for _, p := range x.Policies {
		version := ""
		if p.Version != "" {
			version = " version " + p.Version
		}
		fmt.Fprintf(w, "%s %s policy %s%s: %s\n", mark(p.Decision == "Allow"), p.Kind, p.Name, version, p.Decision)
		for _, s := range p.Statements {
			fmt.Fprintf(w, "  %s statement %s %s: %s\n", mark(s.Applied), statementName(s), s.Effect, statementMatches(s))
			for _, c := range s.Conditions {
				fmt.Fprintf(w, "      %s %s %s expects %s, request has %s\n", mark(c.Result), c.Operator, c.Key, explain.Quote(c.PolicyValues), requestValues(c))
			}
		}
	}
	for _, c := range x.Checks {
		fmt.Fprintf(w, "%s %s", mark(c.Passed), c.Name)
		if len(c.Expected) > 0 {
			fmt.Fprintf(w, ": expected %s", explain.Quote(c.Expected))
		}
		if len(c.Actual) > 0 {
			fmt.Fprintf(w, ", got %s", explain.Quote(c.Actual))
		}
		if c.Detail != "" {
			fmt.Fprintf(w, " (%s)", c.Detail)
		}
		fmt.Fprintln(w)
	}
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func statementName(s explain.Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("%d (Sid %q)", s.Index, s.Sid)
	}
	return fmt.Sprint(s.Index)
}

func statementMatches(s explain.Statement) string {
	parts := []string{"action " + mark(s.ActionMatched), "resource " + mark(s.ResourceMatched)}
	if s.PrincipalMatched != nil {
		parts = append(parts, "principal "+mark(*s.PrincipalMatched))
	}
	return strings.Join(parts, ", ")
}

func requestValues(c explain.Condition) string {
	if c.Absent {
		return "absent"
	}
	return explain.Quote(c.RequestValues)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
