package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/workloads"
)

// workloadsCmd is `latchkey workloads`: bindings of the container credentials endpoint. Like
// `latchkey keys`, the commands work on the store directly, with the server running or not.
func workloadsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "workloads", Short: "Manage the container credentials endpoint's bindings (AWS_CONTAINER_CREDENTIALS_FULL_URI)"}
	cmd.AddCommand(workloadsCreateContainerCmd(g), workloadsListCmd(g), workloadsDeleteCmd(g))
	return cmd
}

// withWorkloads opens the store and runs fn with the workloads service and the issuer URL.
func withWorkloads(cmd *cobra.Command, g *globalFlags, fn func(ctx context.Context, svc *workloads.Service, issuer string) error) error {
	cfg, err := g.load()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, _, err := app.OpenExistingStore(ctx, cfg, newLogger(cfg, cmd.ErrOrStderr()))
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, workloads.New(workloads.Deps{Store: st, Now: time.Now}), app.IssuerURL(cfg))
}

func workloadsCreateContainerCmd(g *globalFlags) *cobra.Command {
	var in workloads.CreateInput
	cmd := &cobra.Command{
		Use:   "create-container",
		Short: "Bind a name of the container credentials endpoint to a role and print the container's environment",
		Long: "Prints AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN; with them set, the AWS\n" +
			"SDKs' default credential chain gets sessions of the role. The role's trust policy must allow the service\n" +
			"principal ecs-tasks.amazonaws.com (aws:SourceAccount is the role's account). The token is shown only now.\n" +
			"Over http the SDKs accept only a loopback (or ECS/EKS link-local) host: set LATCHKEY_ISSUER_URL to\n" +
			"http://127.0.0.1:PORT or to an https URL.",
		Example: "  latchkey workloads create-container --name web --role-arn arn:aws:iam::000000000000:role/web",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkloads(cmd, g, func(ctx context.Context, svc *workloads.Service, issuer string) error {
				c, err := svc.CreateContainer(ctx, in)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s%s%s\nAWS_CONTAINER_AUTHORIZATION_TOKEN=%s\n",
					issuer, workloads.PathPrefix, c.Binding.Name, c.Token)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&in.Name, "name", "", "binding name, the last segment of the endpoint's URL")
	cmd.Flags().StringVar(&in.RoleARN, "role-arn", "", "the role the container gets sessions of")
	cmd.Flags().StringVar(&in.SessionName, "session-name", "", "role session name (default: the binding name)")
	cmd.Flags().IntVar(&in.DurationSeconds, "duration", 0, "session duration in seconds, 900-43200 within the role's MaxSessionDuration (default 3600)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("role-arn")
	return cmd
}

func workloadsListCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the container credentials endpoint's bindings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkloads(cmd, g, func(ctx context.Context, svc *workloads.Service, issuer string) error {
				list, err := svc.List(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLE ARN\tSESSION NAME\tDURATION\tCREATED\tURL")
				for _, b := range list {
					d := "default"
					if b.DurationSeconds != 0 {
						d = strconv.Itoa(b.DurationSeconds)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s%s\n", b.Name, b.RoleARN, b.SessionName, d, b.CreatedAt.Format(time.RFC3339), issuer, workloads.PathPrefix, b.Name)
				}
				return tw.Flush()
			})
		},
	}
}

func workloadsDeleteCmd(g *globalFlags) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete a binding; its token stops working at once (sessions already issued last until they expire)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkloads(cmd, g, func(ctx context.Context, svc *workloads.Service, _ string) error {
				return svc.Delete(ctx, name)
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "binding name")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
