package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// The centralized root access features of an organization (IAM User Guide, "Centrally manage
// root access for member accounts"), in the order ListOrganizationsFeatures reports them.
const (
	FeatureRootCredentialsManagement = "RootCredentialsManagement"
	FeatureRootSessions              = "RootSessions"
)

// OrganizationFeatures is what ListOrganizationsFeatures and the Enable/Disable calls answer.
type OrganizationFeatures struct {
	OrganizationID  string
	EnabledFeatures []string
}

// OrganizationID is the id Latchkey gives the organization managed by managementAccount: o-
// and ten lower-case hex digits derived from the account id, so it is stable across nodes and
// restarts and matches IAM's pattern ^o-[a-z0-9]{10,32}$.
func OrganizationID(managementAccount string) string {
	sum := sha256.Sum256([]byte("latchkey organization " + managementAccount))
	return "o-" + hex.EncodeToString(sum[:5])
}

// organizationOf decides whether the caller's account may manage centralized root access: it
// must be the management account of an organization. Latchkey has no delegated administrators
// and IAM's trusted access is always on in its organizations, so those errors never arise.
func (s *Service) organizationOf(ctx context.Context, caller *principal.Principal) error {
	manages, err := s.Store.ManagesOrganization(ctx, caller.AccountID)
	if err != nil {
		return awserr.InternalError(err)
	}
	if manages {
		return nil
	}
	mgmt, err := s.Store.ManagementAccount(ctx, caller.AccountID)
	if err != nil {
		return awserr.InternalError(err)
	}
	if mgmt != "" {
		return awserr.New("AccountNotManagementOrDelegatedAdministratorException", http.StatusBadRequest,
			"The request was rejected because the account making the request is not the management account or delegated administrator account for centralized root access.")
	}
	return awserr.New("OrganizationNotFoundException", http.StatusBadRequest,
		"The request was rejected because no organization is associated with your account.")
}

// ListOrganizationsFeatures reports the centralized root access features of the caller's
// organization.
func (s *Service) ListOrganizationsFeatures(ctx context.Context, caller *principal.Principal) (OrganizationFeatures, error) {
	if err := s.authorizeAccount(ctx, caller, "iam:ListOrganizationsFeatures"); err != nil {
		return OrganizationFeatures{}, err
	}
	if err := s.organizationOf(ctx, caller); err != nil {
		return OrganizationFeatures{}, err
	}
	a, err := s.Store.GetAccountSettings(ctx, caller.AccountID)
	if err != nil {
		return OrganizationFeatures{}, awserr.InternalError(err)
	}
	return organizationFeatures(caller.AccountID, a.OrganizationFeatures), nil
}

func organizationFeatures(mgmt string, features []string) OrganizationFeatures {
	out := OrganizationFeatures{OrganizationID: OrganizationID(mgmt), EnabledFeatures: []string{}}
	// Reported in a fixed order whatever order they were enabled in.
	for _, f := range []string{FeatureRootCredentialsManagement, FeatureRootSessions} {
		if slices.Contains(features, f) {
			out.EnabledFeatures = append(out.EnabledFeatures, f)
		}
	}
	return out
}

// SetOrganizationFeature enables or disables one centralized root access feature of the caller's
// organization, authorized as action. Enabling an enabled feature, or disabling a disabled one,
// changes nothing and succeeds.
func (s *Service) SetOrganizationFeature(ctx context.Context, caller *principal.Principal, action, feature string, enabled bool) (OrganizationFeatures, error) {
	if feature != FeatureRootCredentialsManagement && feature != FeatureRootSessions {
		return OrganizationFeatures{}, awserr.InternalError(errors.New("iam: unknown organization feature " + feature))
	}
	if err := s.authorizeAccount(ctx, caller, action); err != nil {
		return OrganizationFeatures{}, err
	}
	if err := s.organizationOf(ctx, caller); err != nil {
		return OrganizationFeatures{}, err
	}
	a, err := s.Store.UpdateAccountSettings(ctx, caller.AccountID, func(a *store.AccountSettings) error {
		a.OrganizationFeatures = slices.DeleteFunc(a.OrganizationFeatures, func(f string) bool { return f == feature })
		if enabled {
			a.OrganizationFeatures = append(a.OrganizationFeatures, feature)
		}
		return nil
	})
	if err != nil {
		return OrganizationFeatures{}, awserr.InternalError(err)
	}
	return organizationFeatures(caller.AccountID, a.OrganizationFeatures), nil
}
