// A cert-manager controller for the proving ground: cert-manager's own controllers (from its pinned Go
// module) for Certificates, CertificateRequests and the CA and self-signed issuers, wired without the
// ACME, Vault, Venafi and ingress parts. It runs on the host against the ground's API server, as the
// control plane does; cert-manager's webhook and cainjector are not run (no defaulting or validation
// of cert-manager's objects, which the tests create well-formed).
//
// Usage: cert-manager-controller --kubeconfig FILE [--cluster-resource-namespace NS]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The controllers run; every other registered one (ACME, Vault, Venafi, ingress shims) is left out.
var wanted = map[string]bool{
	"certificates-issuing": true, "certificates-key-manager": true, "certificates-readiness": true,
	"certificates-request-manager": true, "certificates-revision-manager": true, "certificates-trigger": true,
	"certificaterequests-approver": true, "certificaterequests-issuer-ca": true,
	"certificaterequests-issuer-selfsigned": true, "issuers": true, "clusterissuers": true,
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the API server's kubeconfig")
	clusterNs := flag.String("cluster-resource-namespace", "cert-manager", "where ClusterIssuers' Secrets live")
	flag.Parse()
	if err := run(*kubeconfig, *clusterNs); err != nil {
		fmt.Fprintln(os.Stderr, "cert-manager-controller:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, clusterNs string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	factory, err := controllerpkg.NewContextFactory(ctx, controllerpkg.ContextOptions{
		Kubeconfig:    kubeconfig,
		IssuerOptions: controllerpkg.IssuerOptions{ClusterResourceNamespace: clusterNs},
		CertificateOptions: controllerpkg.CertificateOptions{
			EnableOwnerRef:                           true,
			CertificateRequestMinimumBackoffDuration: time.Second,
			CertificateRequestMaximumBackoffDuration: 30 * time.Second,
		},
	})
	if err != nil {
		return err
	}
	names := make([]string, 0, len(wanted))
	for name := range wanted {
		names = append(names, name)
	}
	sort.Strings(names)
	controllers := make([]controllerpkg.Interface, 0, len(names))
	for _, name := range names {
		constructor, ok := controllerpkg.Known()[name]
		if !ok {
			return fmt.Errorf("controller %q is not registered by this cert-manager version", name)
		}
		c, err := constructor(factory)
		if err != nil {
			return fmt.Errorf("controller %q: %w", name, err)
		}
		controllers = append(controllers, c)
	}
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	fmt.Fprintf(os.Stderr, "cert-manager-controller: running %d controllers\n", len(controllers))
	done := make(chan error, len(controllers))
	for _, c := range controllers {
		go func(c controllerpkg.Interface) { done <- c.Run(2, ctx) }(c)
	}
	for range controllers {
		if err := <-done; err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}
