package api

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/principal"
)

// Call is one decoded, validated and authenticated request.
type Call struct {
	Caller    *principal.Principal // nil for unsigned operations
	Input     map[string]any
	Region    string // the credential scope's region, or the server's region when unsigned
	RequestID string
	SourceIP  string
	UserAgent string
	// Output is set once the handler succeeded (read by the audit log).
	Output map[string]any
	// RoleARN is set by a handler whose credentials' role is in neither its input nor its output
	// (Cognito's enhanced flow chooses it): the record of the credentials issued names it.
	RoleARN string
}

// Handler runs one operation and returns its output tree (nil for operations without output).
type Handler func(ctx context.Context, c *Call) (map[string]any, error)

// Table maps operation names to handlers. Operations of the model missing from a table answer
// NotImplemented.
type Table map[string]Handler

// Op adapts a typed service function to a Handler.
func Op[I any, O any](fn func(ctx context.Context, c *Call, in *I) (*O, error)) Handler {
	return func(ctx context.Context, c *Call) (map[string]any, error) {
		in := new(I)
		if err := awsmodel.Bind(c.Input, in); err != nil {
			// The codec type-checked the tree against the model, so this is a table defect.
			return nil, awserr.InternalError(fmt.Errorf("binding input: %w", err))
		}
		out, err := fn(ctx, c, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, nil
		}
		return awsmodel.Unbind(out), nil
	}
}

// Empty is the input or output of operations that have none.
type Empty struct{}
