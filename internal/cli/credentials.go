package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"
)

// processCredentials is the output credential_process must print (AWS SDKs and Tools Reference
// Guide, "Sourcing credentials with an external process"): Version 1, and an Expiration so the
// SDKs refresh before it.
type processCredentials struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type credentialsFlags struct {
	roleARN, sessionName, tokenFile, profile string
	duration                                 int32
}

// credentialsCmd is `latchkey credentials`, a credential_process: it calls Latchkey's STS as any
// AWS client does (the SDK's default credential chain and endpoint settings: AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_STS, AWS_REGION, profiles), so it needs neither the store nor the server's
// configuration.
func credentialsCmd() *cobra.Command {
	var f credentialsFlags
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Print a role session as credential_process output (Version 1 JSON)",
		Long: "Calls AssumeRole with the credentials the AWS SDK's default chain finds (or those of --profile), or\n" +
			"AssumeRoleWithWebIdentity with the token in --web-identity-token-file, against the STS endpoint the SDK\n" +
			"resolves (set AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_STS to Latchkey's URL). On a refusal it prints STS's\n" +
			"error and exits non-zero. When it is the credential_process of a profile, take its own credentials\n" +
			"from another profile (--profile), or it would call itself.",
		Example: "  credential_process = latchkey credentials --role-arn arn:aws:iam::000000000000:role/app --profile base",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := f.fetch(cmd.Context())
			if err != nil {
				return err
			}
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
	cmd.Flags().StringVar(&f.roleARN, "role-arn", "", "the role to assume")
	cmd.Flags().StringVar(&f.sessionName, "role-session-name", "", "role session name (default latchkey-<unix time>)")
	cmd.Flags().Int32Var(&f.duration, "duration", 0, "session duration in seconds (default: STS's, 3600)")
	cmd.Flags().StringVar(&f.tokenFile, "web-identity-token-file", "", "call AssumeRoleWithWebIdentity with the token in this file")
	cmd.Flags().StringVar(&f.profile, "profile", "", "shared config profile whose credentials call AssumeRole (default: the SDK's default chain)")
	_ = cmd.MarkFlagRequired("role-arn")
	return cmd
}

func (f credentialsFlags) fetch(ctx context.Context) (processCredentials, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if f.profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(f.profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return processCredentials{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	name := f.sessionName
	if name == "" {
		name = "latchkey-" + strconv.FormatInt(time.Now().Unix(), 10)
	}
	var duration *int32
	if f.duration != 0 {
		duration = aws.Int32(f.duration)
	}
	var creds *types.Credentials
	if f.tokenFile != "" {
		tok, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return processCredentials{}, fmt.Errorf("reading the web identity token: %w", err)
		}
		// AssumeRoleWithWebIdentity is unsigned: the token is the caller's proof.
		client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = aws.AnonymousCredentials{} })
		out, err := client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(f.roleARN),
			RoleSessionName: aws.String(name), WebIdentityToken: aws.String(strings.TrimSpace(string(tok))), DurationSeconds: duration})
		if err != nil {
			return processCredentials{}, stsError(err)
		}
		creds = out.Credentials
	} else {
		out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN),
			RoleSessionName: aws.String(name), DurationSeconds: duration})
		if err != nil {
			return processCredentials{}, stsError(err)
		}
		creds = out.Credentials
	}
	if creds == nil || creds.Expiration == nil {
		return processCredentials{}, errors.New("STS answered without credentials")
	}
	return processCredentials{Version: 1, AccessKeyID: aws.ToString(creds.AccessKeyId), SecretAccessKey: aws.ToString(creds.SecretAccessKey),
		SessionToken: aws.ToString(creds.SessionToken), Expiration: creds.Expiration.UTC().Format(time.RFC3339)}, nil
}

// stsError is STS's refusal as its code and message, without the SDK's operation wrapping.
func stsError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return err
}
