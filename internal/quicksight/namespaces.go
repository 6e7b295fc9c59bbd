package quicksight

import (
	"context"
	"errors"
	"slices"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Namespace is a namespace as the API describes it.
type Namespace struct {
	Name           string
	ARN            string
	CapacityRegion string
	CreationStatus string
	IdentityStore  string
}

func (s *Service) namespaceView(ns store.QuickSightNamespace) Namespace {
	return Namespace{Name: ns.Name, ARN: s.NamespaceARN(ns.AccountID, ns.Name), CapacityRegion: s.Region, CreationStatus: "CREATED", IdentityStore: ns.IdentityStore}
}

// CreateNamespace creates a custom namespace (synchronously: it is CREATED at once).
func (s *Service) CreateNamespace(ctx context.Context, caller *principal.Principal, account, name, identityStore string, tags []Tag) (Namespace, error) {
	if err := s.authorize(ctx, caller, "CreateNamespace", account, s.NamespaceARN(account, name)); err != nil {
		return Namespace{}, err
	}
	if identityStore != "QUICKSIGHT" {
		return Namespace{}, invalidParameter("IdentityStore must be QUICKSIGHT.")
	}
	if name == "" {
		return Namespace{}, invalidParameter("Namespace must not be empty.")
	}
	if name == DefaultNamespace {
		return Namespace{}, exists("NAMESPACE", "Namespace %s already exists in account %s.", name, account)
	}
	ns := store.QuickSightNamespace{AccountID: account, Name: name, IdentityStore: identityStore, Tags: storedTags(tags), CreatedAt: s.now()}
	err := s.Store.CreateQuickSightNamespace(ctx, ns)
	if errors.Is(err, store.ErrAlreadyExists) {
		return Namespace{}, exists("NAMESPACE", "Namespace %s already exists in account %s.", name, account)
	}
	if err != nil {
		return Namespace{}, awserr.InternalError(err)
	}
	return s.namespaceView(ns), nil
}

// DescribeNamespace describes a namespace.
func (s *Service) DescribeNamespace(ctx context.Context, caller *principal.Principal, account, name string) (Namespace, error) {
	if err := s.authorize(ctx, caller, "DescribeNamespace", account, s.NamespaceARN(account, name)); err != nil {
		return Namespace{}, err
	}
	ns, err := s.namespace(ctx, account, name)
	if err != nil {
		return Namespace{}, err
	}
	return s.namespaceView(ns), nil
}

// DeleteNamespace deletes a custom namespace and its users; the default namespace cannot be deleted.
func (s *Service) DeleteNamespace(ctx context.Context, caller *principal.Principal, account, name string) error {
	if err := s.authorize(ctx, caller, "DeleteNamespace", account, s.NamespaceARN(account, name)); err != nil {
		return err
	}
	if name == DefaultNamespace {
		return invalidParameter("The default namespace cannot be deleted.")
	}
	err := s.Store.DeleteQuickSightNamespace(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundNamespace(account, name)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

func notFoundNamespace(account, name string) error {
	return notFound("NAMESPACE", "Namespace %s not found in account %s.", name, account)
}

// NamespacePage is one page of ListNamespaces.
type NamespacePage struct {
	Namespaces []Namespace
	NextToken  string
}

// ListNamespaces pages the account's namespaces by name, the implicit default one included.
func (s *Service) ListNamespaces(ctx context.Context, caller *principal.Principal, account string, maxResults int, nextToken string) (NamespacePage, error) {
	if err := s.authorize(ctx, caller, "ListNamespaces", account, s.NamespaceARN(account, "*")); err != nil {
		return NamespacePage{}, err
	}
	after, err := decodeToken("namespaces", nextToken)
	if err != nil {
		return NamespacePage{}, err
	}
	limit := listLimit(maxResults)
	stored, next, err := s.Store.ListQuickSightNamespaces(ctx, account, after, limit)
	if err != nil {
		return NamespacePage{}, awserr.InternalError(err)
	}
	all := stored
	// The default namespace belongs on this page when it sorts after the marker and before the
	// page's end (or the page is the last one).
	if DefaultNamespace > after && (next == "" || DefaultNamespace < stored[len(stored)-1].Name) {
		all = append(all, store.QuickSightNamespace{AccountID: account, Name: DefaultNamespace, IdentityStore: "QUICKSIGHT"})
		slices.SortFunc(all, func(a, b store.QuickSightNamespace) int {
			switch {
			case a.Name < b.Name:
				return -1
			case a.Name > b.Name:
				return 1
			}
			return 0
		})
		if len(all) > limit {
			all = all[:limit]
			next = all[limit-1].Name
		}
	}
	page := NamespacePage{Namespaces: []Namespace{}, NextToken: encodeToken("namespaces", next)}
	for _, ns := range all {
		page.Namespaces = append(page.Namespaces, s.namespaceView(ns))
	}
	return page, nil
}
